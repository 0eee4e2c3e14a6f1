"""Issue 9, as an officer meets it: reloading the page while the key prompt is open, and
double-clicking 签署, leave nothing stuck and nothing wrong."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.db import transaction
from app.models import Decision, DocumentNumber
from tests.browser.steps import accept_case, approver_at_counter, review, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def approver(key_browser):
    approver_at_counter(key_browser)
    return key_browser


def _presence(kb, on: bool) -> None:
    """Off: the key waits for a touch that never comes (the prompt stays open)."""
    kb.cdp.send("WebAuthn.setAutomaticPresenceSimulation", {"authenticatorId": kb.authenticator, "enabled": on})


def _decisions() -> int:
    with transaction() as s:
        return s.exec(select(func.count()).select_from(Decision)).one()


def test_reloading_while_the_key_prompt_is_open_leaves_nothing_stuck(approver):
    kb = approver
    page = kb.page
    page.goto(kb.origin + "/counter")
    accept_case(page)
    review(page)
    _presence(kb, False)
    try:
        page.click("#sign")
        page.wait_for_selector("#notice:has-text('请触碰安全密钥')")
        page.reload()
        page.wait_for_selector("#sign:not([disabled])")  # no spinner left over from the lost page
    finally:
        _presence(kb, True)
    with transaction() as s:
        reserved = s.exec(select(DocumentNumber).order_by(DocumentNumber.id.desc())).first()
    review(page)
    page.click("#sign")
    page.wait_for_selector("#signed-number", timeout=60000)
    with transaction() as s:  # the retry used the number reserved for this case: no gap
        decision = s.exec(select(Decision).order_by(Decision.id.desc())).first()
    assert decision.document_number == reserved.number


def test_a_double_click_on_sign_asks_the_key_once_and_keeps_the_success(approver):
    kb = approver
    page = kb.page
    page.goto(kb.origin + "/counter")
    accept_case(page)
    review(page)
    asserted: list = []
    kb.cdp.on("WebAuthn.credentialAsserted", lambda event: asserted.append(event))
    before = _decisions()
    page.dblclick("#sign")
    page.wait_for_selector("#signed-number", timeout=60000)
    page.wait_for_timeout(1500)  # a second prompt, had there been one, would have answered by now
    assert len(asserted) == 1 and _decisions() == before + 1
    assert page.locator("#error").count() == 0
    assert "已签署" in page.locator("#notice").inner_text()


def test_the_sign_in_button_works_after_a_reload_mid_prompt(approver):
    kb = approver
    page = kb.page
    sign_out(page)
    _presence(kb, False)
    try:
        page.fill("#staff-no", "S001")
        page.click("#sign-in")
        page.wait_for_selector("#sign-in[disabled]")
        page.reload()
        page.wait_for_selector("#sign-in:not([disabled])")
    finally:
        _presence(kb, True)
    sign_in(page, kb.origin, "S001", "/counter")


def test_a_refusal_is_signed_with_its_reasons_and_verifies(approver, tmp_path):
    """不予许可 at the counter: a condition not met, its reason, the opinion; signed with the key, in the
    refusal series of 文号, and valid on the public verify page."""
    kb = approver
    page = kb.page
    page.goto(kb.origin + "/counter")
    accept_case(page)
    boxes = page.locator("#current-case [role=checkbox][id^=condition-]").all()
    for box in boxes[:-1]:
        box.check()
    page.fill("#opinion", "经审查，经营场所不符合要求，不同意许可。")
    page.click("#sign")
    page.wait_for_selector("#error:has-text('须逐条说明不符合的理由')")
    page.fill(f"#reason-{len(boxes) - 1}", "经营场所与登记地址不一致")
    page.click("#sign")
    page.wait_for_selector("#signed-number:has-text('张行审不许字')", timeout=60000)
    with page.expect_download() as download:
        page.click("#download")
    pdf = tmp_path / "refusal.pdf"
    download.value.save_as(pdf)
    page.goto(kb.origin + "/verify")
    page.get_by_role("tab", name="上传文件核验").click()
    page.set_input_files("#verify-file", str(pdf))
    page.click("#verify-upload")
    page.wait_for_selector("#verdict:has-text('有效：不予行政许可决定书')")
    page.goto(kb.origin + "/counter")
