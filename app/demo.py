"""Demo data for an empty database: departments, categories, items, officers, authorizations.
Never keys: keys are registered in person (SPEC §4)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from app.db import transaction
from app.models import (Authorization, Category, Department, Item, ItemRevision, Officer, OfficerRevision,
                        Qualification)
from app.rules import audit
from app.rules.catalog import items as catalog
from app.rules.calendar import clock
from app.rules.people import roster
from app.rules.people.keys import new_user_handle
from app.rules.people.roles import ADMIN, APPROVER, AUDITOR

DEPARTMENTS = [("ZHSL", "综合受理科"), ("SCZT", "市场准入科"), ("SHSW", "社会事务科")]
CATEGORIES = [("SCZT", "市场主体"), ("SHSW", "社会事务"), ("WHLY", "文化旅游")]

ITEMS = [
    dict(code="370303-SCZT-001", name="食品经营许可（仅销售预包装食品备案变更）", category="SCZT", department="SCZT",
         legal_basis="《中华人民共和国食品安全法》第三十五条",
         conditions=["申请人为依法登记的市场主体", "经营场所与登记住所一致", "申请材料真实、完整"],
         materials=[{"name": "食品经营许可申请书", "originals": 1, "copies": 0, "required": True},
                    {"name": "营业执照", "originals": 0, "copies": 1, "required": True},
                    {"name": "法定代表人身份证明", "originals": 0, "copies": 1, "required": True}],
         statutory=20, promised=0, independent=True),
    dict(code="370303-SHSW-002", name="民办非企业单位名称变更登记", category="SHSW", department="SHSW",
         legal_basis="《民办非企业单位登记管理暂行条例》第十五条",
         conditions=["变更事项经理事会审议通过", "新名称符合命名规定"],
         materials=[{"name": "变更登记申请表", "originals": 1, "copies": 0, "required": True},
                    {"name": "理事会决议", "originals": 1, "copies": 0, "required": True}],
         statutory=20, promised=3, independent=True),
    dict(code="370303-WHLY-003", name="营业性演出许可（非首次）", category="WHLY", department="SHSW",
         legal_basis="《营业性演出管理条例》第十三条",
         conditions=["演出举办单位资质有效", "演出内容符合规定"],
         materials=[{"name": "演出申请表", "originals": 1, "copies": 0, "required": True}],
         statutory=20, promised=5, independent=True),
    dict(code="370303-SCZT-004", name="公共场所卫生许可（新办）", category="SCZT", department="SCZT",
         legal_basis="《公共场所卫生管理条例》第八条",
         conditions=["场所卫生条件符合标准"], materials=[{"name": "卫生许可申请书", "originals": 1, "copies": 0, "required": True}],
         statutory=20, promised=10, independent=False, excl_site_inspection=True),
]

OFFICERS = [
    ("A001", "王建国", "ZHSL", [ADMIN, AUDITOR], 2015),
    ("S001", "张晓梅", "SCZT", [APPROVER], 2018),
    ("S002", "李志强", "SHSW", [APPROVER], 2019),
    ("S003", "陈静", "SCZT", [APPROVER], 2020),  # a second 市场准入 approver: 回避 has someone to hand to
    ("P001", "刘芳", "ZHSL", [AUDITOR], 2016),
]
SCOPES = {"S001": (["SCZT"], []), "S002": (["SHSW"], ["370303-WHLY-003"]), "S003": (["SCZT"], [])}


def load_demo_data() -> bool:
    """Loads into an empty database only; returns whether anything was loaded."""
    with transaction() as session:
        if session.exec(select(Officer)).first() or session.exec(select(Item)).first():
            return False
        deps = {c: Department(code=c, name=n) for c, n in DEPARTMENTS}
        cats = {c: Category(code=c, name=n) for c, n in CATEGORIES}
        session.add_all([*deps.values(), *cats.values()])
        session.flush()
        items = []
        for spec in ITEMS:
            spec = dict(spec)
            items.append(Item(code=spec.pop("code"), name=spec.pop("name"),
                              category_id=cats[spec.pop("category")].id, department_id=deps[spec.pop("department")].id,
                              statutory_limit_days=spec.pop("statutory"), promised_limit_days=spec.pop("promised"),
                              consult_phone="0533-2180000", supervise_phone="0533-12345", **spec))
        session.add_all(items)
        session.flush()
        for item in items:
            session.add(ItemRevision(item_id=item.id, revision=1, snapshot=catalog.snapshot(session, item),
                                     reason="演示数据"))
        officers = {}
        for staff_no, name, dep, roles, joined in OFFICERS:
            officers[staff_no] = Officer(staff_no=staff_no, name=name, department_id=deps[dep].id, roles=roles,
                                         joined_on=date(joined, 9, 1), user_handle=new_user_handle())
            session.add(officers[staff_no])
        session.flush()
        today = clock.today()
        for staff_no, officer in officers.items():
            session.add(OfficerRevision(officer_id=officer.id, snapshot=roster.officer_snapshot(officer),
                                        reason="演示数据"))
            if APPROVER in officer.roles:  # qualified per 四, so that the authorizations below are lawful
                session.add_all([
                    Qualification(officer_id=officer.id, kind="assessment", year=today.year - 1, grade="优秀",
                                  note="演示数据"),
                    Qualification(officer_id=officer.id, kind="training", on_date=today - timedelta(days=60),
                                  title="政务服务事项办理业务培训", note="演示数据"),
                    Qualification(officer_id=officer.id, kind="exam", on_date=today - timedelta(days=30),
                                  title="独立审批员专门考试", passed=True, score="92", note="演示数据")])
        for staff_no, (categories, items) in SCOPES.items():
            session.add(Authorization(officer_id=officers[staff_no].id, scope_categories=categories,
                                      scope_items=items, valid_from=today,
                                      valid_until=today.replace(year=today.year + 1) - timedelta(days=1)))
        audit.record(session, "demo.loaded", "database", None, officers=len(OFFICERS), items=len(ITEMS))
    return True
