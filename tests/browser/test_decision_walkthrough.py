"""The whole path in a real browser: enrol the first admin, register keys, decide and sign a
case at the counter, download the PDF as approver and as auditor, verify it offline."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import AuditEvent, Decision, SecurityKey
from tests.browser.steps import (accept_case, enroll_first_admin, register_key_for, review_and_sign, sign_in,
                                  sign_out)

pytestmark = pytest.mark.browser


def test_decision_from_counter_to_auditor(key_browser, tmp_path):
    page, origin = key_browser.page, key_browser.origin

    # Bootstrap: one-time link for the first admin, used once.
    link = enroll_first_admin(page, origin)
    assert link.startswith(origin + "/enroll?token=")
    page.goto(link)
    page.click("#enroll")
    page.wait_for_selector("#error:has-text('已使用过')")

    # The admin signs in and registers the approver's and the auditor's keys in person.
    sign_in(page, origin, "A001", "/roster")
    register_key_for(page, "S001")
    register_key_for(page, "P001")
    with transaction() as s:
        approver_key = s.exec(select(SecurityKey).where(SecurityKey.officer_id == 2)).one()
        assert approver_key.authorization_id is not None and approver_key.scope_digest
    sign_out(page)

    # The approver: the roster refuses them; only in-scope, listed items are offered; accept, review, sign.
    sign_in(page, origin, "S001", "/counter")
    page.goto(origin + "/roster")
    page.wait_for_selector("#error:has-text('无权操作')")  # the server refused the page's load event
    assert page.locator("#denied").is_visible() and page.locator("#officers").count() == 0
    page.goto(origin + "/counter")
    page.click("#item")
    page.wait_for_selector("[role=option]:has-text('370303-SCZT-001')")
    options = page.locator("[role=option]").all_inner_texts()
    page.keyboard.press("Escape")
    assert not any("370303-SHSW-002" in o or "370303-SCZT-004" in o for o in options)
    accept_case(page)
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    number = page.inner_text("#signed-number").replace("已签署：", "").strip()
    assert number.startswith("张行审许字〔")
    with page.expect_download() as download:
        page.click("#download")
    approver_pdf = tmp_path / "approver.pdf"
    download.value.save_as(approver_pdf)
    sign_out(page)

    # The auditor sees the decision and downloads the same PDF.
    sign_in(page, origin, "P001", "/audits")
    page.wait_for_selector(f"#decisions >> text={number}")
    with page.expect_download() as download:
        page.locator(".download-decision").first.click()
    auditor_pdf = tmp_path / "auditor.pdf"
    download.value.save_as(auditor_pdf)
    assert auditor_pdf.read_bytes() == approver_pdf.read_bytes()
    with transaction() as s:
        assert s.exec(select(Decision)).one().document_number == number

    # Anyone can check it on the public verify page, by the code or by the file.
    sign_out(page)
    with transaction() as s:
        code = s.exec(select(Decision)).one().verification_code
    page.goto(f"{origin}/verify?code={code}")
    page.wait_for_selector(f"#record >> text={number}")
    page.wait_for_selector("#verdict:has-text('当前状态：有效')")
    assert page.url.endswith(f"?code={code}")  # the address can be shared
    page.get_by_role("tab", name="上传文件核验").click()
    page.set_input_files("#verify-file", str(auditor_pdf))
    page.wait_for_selector("#file-name:has-text('auditor.pdf')")
    page.click("#verify-upload")
    page.wait_for_selector("#verdict:has-text('有效：准予行政许可决定书')")
    with page.expect_download() as download:
        page.click("#download-root")
    root = tmp_path / "root.pem"
    download.value.save_as(root)

    # Offline, with only the root certificate from the verify page.
    verify = [sys.executable, "-m", "app.signing.verify", "--root", str(root)]
    ok = subprocess.run([*verify, str(auditor_pdf)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("有效：") and "张晓梅" in ok.stdout
    data = bytearray(auditor_pdf.read_bytes())
    data[len(data) // 3] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    bad = subprocess.run([*verify, str(tampered)], capture_output=True, text=True)
    assert bad.returncode != 0, bad.stdout


def test_direct_signing_event_outside_scope_is_refused(key_browser):
    """An approver who bypasses the page sends the signing events for a case of an item outside
    the key's scope: the server refuses, and nothing is stored."""
    from app.rules.principal import Principal
    from app.state.counter import CounterState
    from tests.browser.hostile import send_events
    from tests.flows import officer_id
    from tests.flows import business_snapshot
    from tests.unit.test_scope_refusals import forged_case

    page, origin = key_browser.page, key_browser.origin
    sign_in(page, origin, "A001", "/roster")  # the admin's key was enrolled by the walkthrough above
    register_key_for(page, "S002")  # S002 may decide SHSW items and 370303-WHLY-003 only
    sign_out(page)
    sign_in(page, origin, "S002", "/counter")
    case = forged_case(Principal("", officer_id("S002"), 0, "", "S002", ("approver",)), "370303-SCZT-001")
    before = business_snapshot()
    state = CounterState.get_full_name()
    replies = send_events(page, origin, [
        (f"{state}.open_case", {"case_id": str(case.id)}, case.case_no),
        (f"{state}.start_signing", {"form_data": {**{f"condition-{i}": "on" for i in range(3)}, "opinion": "同意"}}, "超出"),
    ])
    assert "超出密钥的授权范围" in replies
    assert business_snapshot() == before  # no case, decision, 文号 or key change
    with transaction() as s:  # the refusal itself is on the record
        last = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (last.action, last.details["code"]) == ("refused", "scope.item_outside")
