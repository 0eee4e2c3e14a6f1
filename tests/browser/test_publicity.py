"""双公示 in a real browser: an approval signed at the counter is pending on /publicity; the admin
exports it as CSV (masked ID), confirms it was published, the list empties and the batch is listed."""

from __future__ import annotations

import csv
import hashlib
import os
from io import StringIO

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import Decision, Publication
from tests.browser.steps import accept_case, approver_at_counter, review_and_sign, sign_in, sign_out
from tests.flows import VALID_ID

pytestmark = pytest.mark.browser
ORGAN_CODE = "11370303MB2858170B"  # well-formed, not the bureau's real code
# The app server (tests/browser/conftest.py) is started with this process's environment.
os.environ["APP_ORGAN_CREDIT_CODE"] = ORGAN_CODE


def test_admin_exports_and_confirms_publication(key_browser, tmp_path):
    page, origin = key_browser.page, key_browser.origin
    approver_at_counter(key_browser)
    accept_case(page)
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    number = page.inner_text("#signed-number").replace("已签署：", "").strip()
    sign_out(page)

    sign_in(page, origin, "A001", "/roster")
    page.click("a[href='/publicity']")  # the admin's navigation
    page.wait_for_url("**/publicity")
    page.wait_for_selector(f"#pending >> text={number}")
    page.wait_for_selector("#no-batches")
    assert page.locator("#confirm-open").is_disabled()  # nothing exported yet

    with page.expect_download() as download:
        page.click("#export-csv")
    saved = tmp_path / "publicity.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith("双公示-行政许可-")
    data = saved.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and VALID_ID.encode() not in data
    header, row = list(csv.reader(StringIO(data.decode("utf-8-sig"))))
    record = dict(zip(header, row))
    assert record["行政许可决定文书号"] == number and record["证件号码"] == "1101**********002X"
    assert record["行政相对人类别"] == "自然人" and record["许可机关统一社会信用代码"] == ORGAN_CODE
    page.wait_for_selector("#export-summary:has-text('已导出 1 条')")

    # A note typed and then cancelled is not recorded with the batch (the reopened dialog starts empty).
    page.click("#confirm-open")
    page.wait_for_selector("role=alertdialog")
    page.fill("#publish-note", "草稿备注")
    page.click("#confirm-cancel")
    page.wait_for_selector("role=alertdialog", state="detached")
    page.click("#confirm-open")
    page.wait_for_selector("role=alertdialog")
    assert page.input_value("#publish-note") == ""
    page.click("#confirm-publish")
    page.wait_for_selector("#notice:has-text('已登记公示')")
    page.wait_for_selector("#no-pending")
    batch = page.inner_text("#batches .batch-row td:first-child").strip()
    history = page.inner_text("#batches")
    assert batch.startswith("GS") and "草稿备注" not in history
    assert page.locator("#confirm-open").is_disabled()
    with transaction() as s:
        publication = s.exec(select(Publication)).one()
        decision = s.get(Decision, publication.decision_id)
    assert decision.document_number == number and publication.batch == batch
    assert publication.export_sha256 == hashlib.sha256(data).hexdigest()
