"""The item catalog: exclusion flags, the list, revisions, flowchart, notice, Excel."""

from __future__ import annotations

from io import BytesIO
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from app.db import transaction
from app.models import Case, Item, ItemRevision
from app.rules import catalog, catalog_io, cases, decisions
from app.rules.flowchart import flowchart_svg
from tests import flows

NEW_ITEM = {"code": "370303-SHSW-010", "name": "养犬登记证补办", "category_code": "SCZT", "department_code": "SCZT",
            "item_type": "即办件", "legal_basis": "《淄博市养犬管理条例》第十二条",
            "conditions": "原登记证遗失或损毁\n登记信息未变更", "materials": "补办申请表|1|0|是\n身份证明|0|1|是",
            "statutory_limit_days": "20", "promised_limit_days": "0"}


@pytest.fixture()
def admin(db):
    principal, key = flows.enroll_admin()
    return principal, key


def count(model) -> int:
    with transaction() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_new_item_and_revisions(admin):
    principal, _ = admin
    item = catalog.create_item(principal, NEW_ITEM, "新梳理事项", independent=True)
    assert item.revision == 1 and item.materials[1] == {"name": "身份证明", "originals": 0, "copies": 1,
                                                         "required": True}
    revised = catalog.update_item(principal, item.id, {"promised_limit_days": "0", "fee": "不收费",
                                                       "conditions": "原登记证遗失或损毁"}, "精简条件")
    assert revised.revision == 2
    _, current, revisions = catalog.item_with_revisions(principal, item.id)
    assert [r.revision for r in revisions] == [2, 1] and revisions[0].reason == "精简条件"
    with transaction() as s:
        assert catalog.revision_snapshot(s, item.id, 1)["conditions"] == ["原登记证遗失或损毁", "登记信息未变更"]
    assert current["conditions"] == ["原登记证遗失或损毁"]
    flows.assert_refused(lambda: catalog.update_item(principal, item.id, {"fee": "不收费"}, "无变化"),
                         "item.unchanged", audited=False)


def test_excluded_item_can_never_be_listed(admin):
    principal, _ = admin
    err = flows.assert_refused(lambda: catalog.create_item(principal, {**NEW_ITEM, "excl_hearing": True}, "x",
                                                           independent=True), "item.excluded")
    assert "听证" in err.message
    item = catalog.create_item(principal, {**NEW_ITEM, "excl_interested_parties": True}, "未列入")
    err = flows.assert_refused(lambda: catalog.set_listed(principal, item.id, True, "试图列入"), "item.excluded")
    assert "利害关系人" in err.message
    listed = catalog.create_item(principal, {**NEW_ITEM, "code": "X-2"}, "列入", independent=True)
    flows.assert_refused(lambda: catalog.update_item(principal, listed.id, {"excl_site_inspection": True}, "改"),
                         "item.excluded")


@pytest.mark.parametrize("change, message", [
    ({"promised_limit_days": "30"}, "承诺时限不得超过法定时限"),
    ({"statutory_limit_days": "abc"}, "法定时限"),
    ({"conditions": ""}, "受理条件"),
    ({"materials": "只有名称|0|0|是"}, "原件或复印件至少一份"),
    ({"category_code": "NOPE"}, "审批门类"),
    ({"name": ""}, "事项名称"),
])
def test_bad_item_fields_are_refused_with_the_reason(admin, change, message):
    principal, _ = admin
    err = flows.assert_refused(lambda: catalog.create_item(principal, {**NEW_ITEM, **change}, "x"), "item.invalid")
    assert message in err.message


def test_case_keeps_the_revision_in_force_at_acceptance_and_delisting_stops_counter_and_signing(admin):
    principal, admin_key = admin
    key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case))
    item_id = flows.item_id("370303-SCZT-001")
    catalog.update_item(principal, item_id, {"fee": "免费"}, "收费表述统一")
    with transaction() as s:
        assert s.get(Case, case.id).item_revision == 1
    catalog.set_listed(principal, item_id, False, "本季度评估后暂停独立审批")
    assert "370303-SCZT-001" not in {i.code for i in cases.offered_items(approver)}
    flows.assert_refused(lambda: decisions.complete(approver, request.challenge_id, key.get(request.options_json)),
                         "item.not_independent")


def test_flowchart_is_svg_from_the_items_own_data(admin):
    with transaction() as s:
        item = s.exec(select(Item).where(Item.code == "370303-SHSW-002")).one()
    svg = flowchart_svg(item)
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    for expected in ("申请", "受理", "审查", "决定", "送达", "变更事项经理事会审议通过", "承诺 3 个工作日"):
        assert expected in text


def test_public_notice_renders_as_pdf(admin):
    from app.signing.notice import notice_html
    from app.signing.renderer import render_pdf

    with transaction() as s:
        item = s.exec(select(Item).where(Item.code == "370303-SCZT-001")).one()
    html = notice_html(item, "市场主体", "市场准入科")
    for expected in ("设定依据", "受理条件", "申请材料目录", "办理程序", "承诺办结时限", "食品经营许可申请书"):
        assert expected in html
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000


def test_excel_round_trip_and_all_or_nothing_import(admin):
    principal, _ = admin
    data = catalog_io.export_xlsx(principal)
    assert catalog_io.import_xlsx(principal, data, "原样导回") == (0, 0)
    wb = load_workbook(BytesIO(data))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    ws.append([{"code": "370303-NEW-001", "name": "新事项", "category_code": "SCZT", "department_code": "SCZT",
                "item_type": "即办件", "legal_basis": "某条例", "conditions": "条件一", "materials": "申请书|1|0|是",
                "statutory_limit_days": 20, "promised_limit_days": 0}.get(field, "否")
               for _, field in catalog_io.COLUMNS])
    ws.cell(row=2, column=headers.index("收费") + 1, value="每件 10 元")
    good = BytesIO()
    wb.save(good)
    assert catalog_io.import_xlsx(principal, good.getvalue(), "新增一项、修订一项") == (1, 1)
    items, revisions = count(Item), count(ItemRevision)
    ws.cell(row=3, column=headers.index("承诺时限（工作日，0=当场办结）") + 1, value=99)
    ws.cell(row=2, column=headers.index("收费") + 1, value="每件 20 元")
    bad = BytesIO()
    wb.save(bad)
    err = flows.assert_refused(lambda: catalog_io.import_xlsx(principal, bad.getvalue(), "有错行"), "import.row",
                               audited=False)
    assert "第 3 行" in err.message and "承诺时限" in err.message
    assert (count(Item), count(ItemRevision)) == (items, revisions)  # row 2's change was not kept either
    flows.assert_refused(lambda: catalog_io.import_xlsx(principal, b"not a workbook", "x"), "import.unreadable",
                         audited=False)


def test_search_filters_and_pages_on_the_server(admin):
    principal, _ = admin
    for n in range(45):
        catalog.create_item(principal, {**NEW_ITEM, "code": f"B-{n:03d}", "name": f"批量事项{n}"}, "批量")
    page = catalog.search(principal, text="批量", page=3, page_size=20)
    assert (page.total, page.pages, page.page, len(page.rows)) == (45, 3, 3, 5)
    assert catalog.search(principal, listed="yes").total == 3
    assert catalog.search(principal, category_code="WHLY").total == 1
