"""终身负责 (七(四)): a decision's responsibility record, also after the officer left; and the
supervisors' dashboard tables with their xlsx exports."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from fido2.utils import websafe_encode
from openpyxl import load_workbook

from app.db import transaction
from app.models import KeyCertificate, SecurityKey
from app.rules.catalog import excel as catalog_io
from app.rules.supervision import dashboard
from app.rules.supervision import responsibility
from app.rules.people import roster
from app.rules.errors import Refused
from tests import flows
from tests.supervision import decided_case, spot_review, visit

YEAR = 2026


@pytest.fixture()
def people(db):
    admin, admin_key = flows.enroll_admin()
    s001_key = flows.register_key(admin, admin_key, "S001")
    auditor_key = flows.register_key(admin, admin_key, "P001")
    return {"admin": admin, "admin_key": admin_key, "s001_key": s001_key,
            "auditor": flows.sign_in("P001", auditor_key), "approver": flows.sign_in("S001", s001_key)}


def test_responsibility_names_every_step_key_certificate_and_authorization_also_after_exit(people):
    auditor, admin, approver = people["auditor"], people["admin"], people["approver"]
    case = flows.accept_case(approver)
    decision = flows.sign_case(approver, people["s001_key"], case)
    spot_review(case.id, flows.officer_id("P001"), "flaw", quarter=f"{YEAR}Q4", notes="审查意见过于简单")
    v = visit(case.id, flows.officer_id("P001"), {"process": 2, "attitude": 5, "efficiency": 5, "integrity": 5})
    flows.step_up(admin, people["admin_key"])
    roster.exit_officer(admin, flows.officer_id("S001"), "调离")  # the officer leaves; the record stays
    assert responsibility.find(auditor, case.case_no) == case.id
    assert responsibility.find(admin, decision.document_number) == case.id
    r = responsibility.responsibility(auditor, case.id)
    who = "张晓梅（S001），已退出"
    assert r["who"] == {"received": who, "accepted": who, "reviewed": who, "decided": who}
    d = r["decision"]
    with transaction() as s:
        key = s.get(SecurityKey, decision.key_id)
        cert = s.get(KeyCertificate, decision.certificate_id)
    assert d["document_number"] == decision.document_number and d["outcome"] == "准予许可"
    assert d["credential_id"] == websafe_encode(key.credential_id) and d["fingerprint"]
    assert d["certificate_serial"] == cert.serial and d["certificate_now"].startswith("已吊销")
    assert d["authorization"].startswith(f"#{decision.authorization_id}（") and d["authorization_now"] == "已撤销"
    assert d["key_now"].startswith("已停用") and d["review_opinion"] == flows.OPINION
    assert [s["what"] for s in r["steps"]][:2] == ["收件", "受理"] and r["steps"][-1]["what"] == "审查并签署决定"
    assert [(f["result"], f["notes"]) for f in r["findings"]] == [("瑕疵", "审查意见过于简单")]
    assert r["visits"][0]["id"] == str(v.id) and "办事流程 不满意" in r["visits"][0]["ratings"]
    assert "1101**********002X" in r["case"]["applicant"] and "11010519491231002X" not in str(r)


def test_responsibility_refusals(people):
    with pytest.raises(Refused) as exc:
        responsibility.responsibility(people["approver"], 1)
    assert exc.value.code == "role.denied"
    for text, code in (("", "responsibility.no_query"), ("SL000", "responsibility.not_found"),
                       (None, "responsibility.no_query")):
        with pytest.raises(Refused) as exc:
            responsibility.find(people["auditor"], text)
        assert exc.value.code == code
    for case_id, code in ((999, "responsibility.not_found"), ("1", "input.invalid")):
        with pytest.raises(Refused) as exc:
            responsibility.responsibility(people["auditor"], case_id)
        assert exc.value.code == code


def test_dashboard_tables_and_their_xlsx(people):
    auditor = people["auditor"]
    late = decided_case("S001", date(YEAR, 9, 10), date(YEAR, 9, 5))
    decided_case("S001", date(YEAR, 9, 12), date(YEAR, 9, 30))
    decided_case("S001", date(YEAR, 3, 1), None, outcome="not_accepted")
    decided_case("S001", date(YEAR, 3, 2), date(YEAR, 3, 10), outcome="refused", code="370303-SCZT-001")
    visit(late.id, flows.officer_id("P001"), {"process": 5, "attitude": 4, "efficiency": 3, "integrity": 5})
    spot_review(late.id, flows.officer_id("P001"), "error", quarter=f"{YEAR}Q3")
    t = dashboard.tables(auditor, str(YEAR))
    months = {row["month"]: row for row in t["by_month"].rows}
    assert len(months) == 12 and months["9月"]["approved"] == 2 and months["3月"]["total"] == 2
    assert months["3月"]["not_accepted"] == 1 and months["3月"]["refused"] == 1
    assert [(r["code"], r["total"]) for r in t["by_item"].rows] == [("370303-SCZT-001", 4)]
    assert [(r["approver"], r["total"]) for r in t["by_approver"].rows] == [("张晓梅", 4)]
    on_time = {row["month"]: row for row in t["on_time"].rows}
    assert (on_time["9月"]["timed"], on_time["9月"]["on_time"], on_time["9月"]["rate"]) == (2, 1, 50.0)
    assert on_time["3月"]["rate"] == 100.0 and on_time["1月"]["rate"] is None
    aspects = {row["aspect"]: row for row in t["satisfaction"].rows}
    assert aspects["办事效率"]["rate"] == 0.0 and aspects["办事流程"]["mean"] == 5.0
    assert aspects["全部方面"]["visits"] == 1 and aspects["全部方面"]["rate"] == 0.0
    quarters = {row["quarter"]: row for row in t["defects"].rows}
    assert quarters[f"{YEAR}Q3"]["rate"] == 100.0 and quarters[f"{YEAR}Q1"]["rate"] is None
    # The admin (the working group) may look too; an approver may not.
    assert dashboard.tables(people["admin"], YEAR)["by_month"].rows == t["by_month"].rows
    name, data = dashboard.export_xlsx(auditor, YEAR, "on_time")
    assert name == f"{YEAR} 年按月按时办结率.xlsx"
    ws = load_workbook(BytesIO(data)).active
    assert [c.value for c in ws[1]] == ["月份", "有办结期限的决定", "按时办结", "按时办结率（%）"]
    assert [c.value for c in ws[10]] == ["9月", 2, 1, 50] and ws[2][3].value == "—"
    for who, args, code in ((people["approver"], (YEAR, "by_month"), "role.denied"),
                            (auditor, (YEAR, "nope"), "dashboard.unknown_table"),
                            (auditor, (YEAR, ["by_month"]), "dashboard.unknown_table"),
                            (auditor, ("下一年", "by_month"), "dashboard.bad_year"),
                            (auditor, (YEAR + 1, "by_month"), "dashboard.bad_year")):
        with pytest.raises(Refused) as exc:
            dashboard.export_xlsx(who, *args)
        assert exc.value.code == code


def test_table_xlsx_writes_text_never_a_formula():
    data = catalog_io.table_xlsx("表", ["名称", "数"], [["=HYPERLINK(\"http://x\")", 3], ["+1", 4.5]])
    ws = load_workbook(BytesIO(data)).active
    assert ws["A2"].value == "=HYPERLINK(\"http://x\")" and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B2"].value == 3 and ws["B3"].value == 4.5
