"""Supervision in a real browser: a return visit with a bad rating followed to closure (phone masked,
revealed on the record); an annual assessment ending in disqualification, after which the approver's
key is stopped on the roster and refused at sign-in; the dashboard's charts and an export."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.db import transaction
from app.models import AuditEvent, Case
from app.rules import personal_data
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from tests.browser.steps import choose, enroll_first_admin, fill_application, register_key_for, review_and_sign, \
    sign_in, sign_out

pytestmark = pytest.mark.browser
PHONE = "13805331234"


@pytest.fixture(scope="module")
def decided(key_browser):
    """A001 enrolled; S001's key registered; S001 accepted and signed one case today, the applicant's
    phone captured at the counter."""
    page, origin = key_browser.page, key_browser.origin
    enroll_first_admin(page, origin)
    sign_in(page, origin, "A001", "/roster")
    register_key_for(page, "S001")
    sign_out(page)
    sign_in(page, origin, "S001", "/counter")
    fill_application(page)
    page.fill("#phone", PHONE)
    page.click("#accept")
    page.wait_for_selector("#notice:has-text('已受理')")
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    sign_out(page)
    with transaction() as s:
        case = s.exec(select(Case)).one()
    assert personal_data.decrypt(case.applicant_phone_encrypted) == PHONE
    return key_browser, case


def test_a_bad_rating_is_verified_and_rectified_to_closure(decided):
    kb, case = decided
    page, origin = kb.page, kb.origin
    sign_in(page, origin, "A001", "/roster")
    page.click("a[href='/visits']")  # A001 is also an auditor
    page.wait_for_url("**/visits")
    page.wait_for_selector("#no-visits")
    today = clock.today().isoformat()
    page.fill("#draw-from", today)
    page.fill("#draw-to", today)
    page.fill("#draw-rate", "100")
    page.click("#draw")
    page.wait_for_selector("#notice:has-text('已抽取 1 件回访')")
    row = page.locator("#visits tbody tr").first
    assert case.case_no in row.inner_text() and "待回访" in row.inner_text()
    visit_id = row.get_attribute("id").removeprefix("visit-")
    assert page.inner_text(f"#phone-{visit_id}") == "1380***1234"
    page.click(f"#reveal-{visit_id}")
    page.wait_for_selector(f"#phone-{visit_id}:has-text('{PHONE}')")
    with transaction() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "visit.phone_revealed")).one()

    page.click(f"#record-{visit_id}")
    page.wait_for_selector("role=dialog")
    choose(page, "#channel", "电话")
    for aspect in ("process", "attitude", "efficiency"):
        choose(page, f"#rating-{aspect}", "非常满意")
    choose(page, "#rating-integrity", "非常不满意")
    page.click("#confirm-record")  # a bad rating needs the applicant's words
    page.wait_for_selector("#dialog-error:has-text('差评须记录')")
    page.fill("#comments", "反映窗口人员暗示可以加急办理")
    page.click("#confirm-record")
    with transaction() as s:
        due, _ = calendar.deadline(s, clock.today(), 15)
    page.wait_for_selector(f"#notice:has-text('整改期限 {due.isoformat()}')")
    page.wait_for_selector("role=dialog", state="detached")
    assert "差评整改中" in page.inner_text(f"#visit-{visit_id}")
    rectification = page.inner_text(f"#rectification-{visit_id}")
    assert due.isoformat() in rectification and "廉洁自律：非常不满意" in rectification and "整改中" in rectification

    page.click(f"#close-{visit_id}")
    page.wait_for_selector("role=dialog")
    page.fill(f"#verification-{visit_id}", "经调取录像核实，属实")
    page.click(f"#confirm-close-{visit_id}")
    page.wait_for_selector("#dialog-error:has-text('请填写整改结果')")
    page.fill(f"#closing-note-{visit_id}", "已对窗口人员批评教育，向申请人致歉")
    page.click(f"#confirm-close-{visit_id}")
    page.wait_for_selector("#notice:has-text('整改已办结')")
    closed = page.inner_text(f"#rectification-{visit_id}")
    assert "经调取录像核实" in closed and "逾期" not in closed

    # The case's responsibility record shows who decided it and this visit.
    page.click(f"#visit-{visit_id} a")
    page.wait_for_url(re.compile(r".*/responsibility\?case=\d+$"))
    page.wait_for_selector("#who:has-text('张晓梅（S001）')")
    assert "张行审许字" in page.inner_text("#decision")
    assert "廉洁自律 非常不满意" in page.inner_text("#case-visits") and "整改已办结" in page.inner_text("#case-visits")
    sign_out(page)


def test_disqualification_stops_the_key_and_sign_in_is_refused(decided, tmp_path):
    kb, case = decided
    page, origin = kb.page, kb.origin
    sign_in(page, origin, "A001", "/roster")
    page.click("a[href='/assessments']")
    page.wait_for_url("**/assessments")
    with transaction() as s:
        s001 = s.get(Case, case.id).approver_id
    row = page.locator(f"#approver-{s001}")
    row.wait_for()
    assert "张晓梅（S001）" in row.inner_text() and "100.0%（1/1）" in row.inner_text()
    page.click(f"#assess-{s001}")
    page.wait_for_selector("role=dialog")
    choose(page, "#level", "不合格")
    page.fill("#reasons", "回访查实廉洁问题")
    page.click("#confirm-assess")
    page.wait_for_selector("#notice:has-text('已提出取消资格')")
    assert "不合格" in page.inner_text(f"#approver-{s001}")
    proposal = page.locator("#proposals tbody tr").first
    assessment_id = proposal.get_attribute("id").removeprefix("proposal-")
    page.click(f"#disqualify-{assessment_id}")
    page.wait_for_selector("role=dialog")
    page.fill("#disqualify-reason", "工作组会议纪要第 9 号")
    page.click("#confirm-disqualify")  # asks for the admin's key again if the last confirmation is old
    page.wait_for_selector("#notice:has-text('已取消资格')")
    assert "已取消资格" in page.inner_text(f"#proposal-{assessment_id}")

    page.click("a[href='/roster']")
    page.wait_for_url("**/roster")
    page.wait_for_selector("text=已停用")
    with transaction() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "assessment.disqualified")).one()
    assert event.details["revoked_keys"] and event.details["revoked_authorizations"]

    # The dashboard counts the decision; its table goes out as Excel.
    page.click("a[href='/dashboard']")
    page.wait_for_url("**/dashboard")
    page.wait_for_selector("#panel-by-month .recharts-bar-rectangle path")  # the month's bar is drawn
    page.wait_for_selector("#panel-by-approver .recharts-bar-rectangle path")
    month = f"{clock.today().month}月"
    assert month in page.inner_text("#table-by-month")
    with page.expect_download() as download:
        page.click("#export-by-approver")
    saved = tmp_path / "approvers.xlsx"
    download.value.save_as(saved)
    ws = load_workbook(BytesIO(saved.read_bytes())).active
    assert [c.value for c in ws[2]][:2] == ["S001", "张晓梅"] and ws[2][-1].value == 1
    sign_out(page)

    # The approver's key is refused.
    page.goto(origin + "/")
    page.fill("#staff-no", "S001")
    page.click("#sign-in")
    page.wait_for_selector("#error:has-text('无法使用安全密钥登录')")
