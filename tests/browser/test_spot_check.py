"""A quarter's spot check in a real browser: S001 decides two cases at the counter (moved into 2026Q3:
the test cannot sign in the past); A001 (admin and auditor) commits the quarter's population, holds
the seed ceremony, redraws with a reason and a new seed, downloads both files (the CLI re-runs the
draw from them and prints the same sample), reviews the drawn case as 瑕疵 with a rectification
request; S001 reports the rectification on /rectifications; A001 closes it with evidence."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import AuditEvent, Case, Decision, SpotCheck, SpotCheckReview
from app.rules.calendar import clock
from app.rules.supervision import spot_checks
from tests.browser.conftest import ROOT
from tests.browser.steps import accept_case, approver_at_counter, choose, review_and_sign, sign_in, sign_out

pytestmark = pytest.mark.browser
FIRST_SEED, SEED = "2718 2818 2845 9045 2353 6028", "3141 5926 5358 9793 2384 6264"


def _into_q3() -> None:
    with transaction() as s:
        for n, decision in enumerate(s.exec(select(Decision).order_by(Decision.id)).all()):
            at = datetime(2026, 8, 10 + n, 10, tzinfo=clock.BEIJING)
            case = s.get(Case, decision.case_id)
            decision.decided_at = case.decided_at = at
            s.add(decision)
            s.add(case)


def _download(page, selector: str, path) -> bytes:
    with page.expect_download() as download:
        page.click(selector)
    download.value.save_as(path)
    return path.read_bytes()


def _spotchecks(page, origin: str) -> None:
    page.goto(origin + "/spotchecks")
    page.wait_for_selector("#quarter")
    page.fill("#quarter", "2026Q3")
    page.click("#choose-quarter")


def test_a_quarter_from_commitment_to_closure(key_browser, tmp_path):
    page, origin = key_browser.page, key_browser.origin
    approver_at_counter(key_browser)
    for applicant in ("张店区甲餐饮店", "张店区乙便利店"):
        page.goto(origin + "/counter")
        accept_case(page, applicant=applicant)
        review_and_sign(page)
        page.wait_for_selector("#signed-number:has-text('张行审许字')", timeout=60000)
    _into_q3()
    sign_out(page)

    # 1. The auditor commits the quarter's population.
    sign_in(page, origin, "A001", "/roster")
    page.click("a[href='/spotchecks']")  # the auditor's navigation
    page.wait_for_url("**/spotchecks")
    _spotchecks(page, origin)
    page.click("#commit")
    page.wait_for_selector("#notice:has-text('已固定本季度抽查总体')")
    assert page.inner_text("#population-count") == "2"
    digest = page.inner_text("#population-digest").strip()
    population = _download(page, "#download-population", tmp_path / "population.txt")
    assert hashlib.sha256(population).hexdigest() == digest
    assert population.startswith(b"spotcheck-population/v1\t2026Q3\t20\n") and population.count(b"\tS001\n") == 2

    # 2. The seed ceremony; then a redraw (reason in a confirm dialog) and a new ceremony.
    page.fill("#seed", "12345")
    page.fill("#seed-note", "刘芳掷骰")
    page.click("#draw")
    page.wait_for_selector("#error:has-text('至少 24 位')")  # too short: nothing recorded
    page.fill("#seed", FIRST_SEED)
    page.fill("#seed-note", "王建国掷骰并读数，刘芳、李志强见证")
    page.click("#draw")
    page.wait_for_selector("#notice:has-text('已登记随机数并完成抽取')")
    page.click("#redraw-open")
    page.wait_for_selector("role=alertdialog")
    page.fill("#redraw-reason", "摇号时第二名见证人未到场，重新摇号")
    page.click("#redraw-confirm")
    page.wait_for_selector("#notice:has-text('原抽取已作废')")
    page.wait_for_selector(".superseded-row:has-text('摇号时第二名见证人未到场')")
    assert page.inner_text("#check-state") == "已固定总体，待摇号"
    assert page.inner_text("#population-digest").strip() == digest  # the same population, committed again
    page.fill("#seed", SEED)
    page.fill("#seed-note", "王建国掷骰，刘芳读数，李志强见证")
    page.click("#draw")
    page.wait_for_selector("#notice:has-text('已登记随机数并完成抽取')")
    assert page.locator("#stratum-S001 td").all_inner_texts()[:3] == ["张晓梅（S001）", "2", "1"]
    result = _download(page, "#download-draw", tmp_path / "draw.txt")
    cli = subprocess.run([sys.executable, "-m", "app.cli", "spotcheck", "draw", "--population",
                          str(tmp_path / "population.txt"), "--seed", SEED, "--rate", "20"],
                         capture_output=True, cwd=ROOT, check=True)
    assert cli.stdout == result and b"seed\t314159265358979323846264\n" in result

    # 3. Review of the drawn case: one checklist item not met → 瑕疵, rectification due in 15 working days.
    button = page.locator("#drawn button[id^=review-]")
    assert button.count() == 1
    case_id = button.get_attribute("id").removeprefix("review-")
    drawn_case_no = page.inner_text(f"#drawn-{case_id} td >> nth=0")
    assert f"\t{drawn_case_no}\t" in result.decode()
    button.click()
    page.wait_for_selector("role=dialog")
    for key, _ in spot_checks.CHECKLIST:
        if key != "documents_standard":
            page.check(f"#{key}-{case_id}")
    choose(page, f"#result-{case_id}", "瑕疵")
    page.fill(f"#notes-{case_id}", "决定书未载明申请人的救济途径和期限")
    page.fill(f"#request-{case_id}", "补正决定书告知事项并重新送达申请人")
    page.click(f"#submit-review-{case_id}")
    page.wait_for_selector("#notice:has-text('已记录评查结论：瑕疵')")
    page.wait_for_selector("role=dialog", state="detached")
    with transaction() as s:
        due = spot_checks.rectification_due(s, clock.today())[0].isoformat()
    assert f"瑕疵，整改期限 {due}" in page.inner_text(f"#drawn-{case_id}")
    row = page.locator("#open-rectifications tr", has_text=drawn_case_no)
    assert "文书规范" in row.inner_text() and due in row.inner_text() and "待审批员提交整改说明" in row.inner_text()
    sign_out(page)

    # 4. The approver reports what was done.
    sign_in(page, origin, "S001", "/counter")
    page.goto(origin + "/rectifications")
    page.wait_for_selector("#rectifications")
    card = page.locator("[id^=rectification-]", has_text=drawn_case_no)
    assert "补正决定书告知事项并重新送达申请人" in card.inner_text()
    review_id = card.get_attribute("id").removeprefix("rectification-")
    page.fill(f"#statement-{review_id}", "已补正决定书的救济告知，11 月 30 日重新送达申请人并取得回执")
    page.click(f"#report-{review_id}")
    page.wait_for_selector("#notice:has-text('已提交整改说明')")
    assert "已提交的整改说明" in page.inner_text(f"#rectification-{review_id}")
    sign_out(page)

    # 5. The auditor closes it with the evidence seen.
    sign_in(page, origin, "A001", "/roster")
    _spotchecks(page, origin)
    page.wait_for_selector(f"#evidence-{review_id}")
    page.click(f"#close-{review_id}")
    page.wait_for_selector("#error:has-text('结案须写明整改证据')")
    page.fill(f"#evidence-{review_id}", "已核对重新送达回执及补正后的决定书")
    page.click(f"#close-{review_id}")
    page.wait_for_selector("#notice:has-text('整改已结案')")
    page.wait_for_selector("#no-open")
    assert "瑕疵，已结案" in page.inner_text(f"#drawn-{case_id}")

    with transaction() as s:
        checks = s.exec(select(SpotCheck).order_by(SpotCheck.id)).all()
        review = s.exec(select(SpotCheckReview)).one()
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.action.startswith("spotcheck.")))]
    assert [(c.state, c.redraw_of) for c in checks] == [("superseded", None), ("drawn", checks[0].id)]
    assert review.spot_check_id == checks[1].id and review.result == "flaw" and review.closed_at is not None
    assert review.checklist["documents_standard"] is False and review.closing_evidence.startswith("已核对")
    for action in ("spotcheck.committed", "spotcheck.drawn", "spotcheck.redrawn", "spotcheck.reviewed",
                   "spotcheck.rectification_reported", "spotcheck.closed", "spotcheck.population_exported",
                   "spotcheck.draw_exported"):
        assert action in actions, action
