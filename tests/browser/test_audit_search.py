"""Issue 10 in the browser: an auditor searches the signed decisions, downloads the result as a ZIP
(built in the background, handed over by a one-time link), checks its manifest and verifies a
decision from it offline with the root certificate it carries; the download is on the audit log."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile

import pytest

from tests.browser.steps import (accept_case, choose, enroll_first_admin, register_key_for, review_and_sign, sign_in,
                                 sign_out)

pytestmark = pytest.mark.browser
APPLICANTS = ("淄博鑫源商贸有限公司", "张伟明")


def _sign(page, origin: str, applicant: str) -> str:
    page.goto(origin + "/counter")
    accept_case(page, applicant=applicant)
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    return page.inner_text("#signed-number").replace("已签署：", "").strip()


def test_auditor_searches_downloads_a_zip_and_verifies_a_decision_from_it(key_browser, tmp_path):
    page, origin = key_browser.page, key_browser.origin
    enroll_first_admin(page, origin)
    sign_in(page, origin, "A001", "/roster")
    register_key_for(page, "S001")
    register_key_for(page, "P001")
    sign_out(page)
    sign_in(page, origin, "S001", "/counter")
    numbers = [_sign(page, origin, applicant) for applicant in APPLICANTS]
    sign_out(page)

    sign_in(page, origin, "P001", "/audits")
    page.wait_for_selector("#decisions")
    assert page.locator(".decision-row").count() == 2
    assert "共 2 条" in page.inner_text("#decisions-pages")
    # Part of an applicant's name, then an outcome that no decision has.
    page.fill("#applicant", "鑫源")
    page.click("#search")
    page.wait_for_function("document.querySelectorAll('.decision-row').length === 1")
    assert numbers[0] in page.inner_text("#decisions")
    page.fill("#applicant", "鑫")
    page.click("#search")
    page.wait_for_selector("#error:has-text('至少输入 2 个字')")
    page.fill("#applicant", "")
    choose(page, "#outcome", "不予受理")
    page.click("#search")
    page.wait_for_selector("#no-decisions")
    assert page.locator("#build-zip").is_disabled()
    choose(page, "#outcome", "准予许可")
    choose(page, "#approver", "张晓梅（S001）")
    page.click("#search")
    page.wait_for_function("document.querySelectorAll('.decision-row').length === 2")

    # 打包下载: built in the background, then downloaded over the one-time link.
    with page.expect_download(timeout=120000) as download:
        page.click("#build-zip")
    saved = tmp_path / "decisions.zip"
    download.value.save_as(saved)
    assert download.value.suggested_filename.endswith("2份.zip")
    page.wait_for_selector("#zip-summary:has-text('已打包 2 份')")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(saved) as archive:
        archive.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(e["document_number"] for e in manifest["decisions"]) == sorted(numbers)
    for entry in manifest["decisions"]:
        assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    readme = (folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "python -m app.signing.verify" in readme and "manifest.csv" in (folder / "README.txt").read_text("utf-8-sig")
    # Offline, with only what the ZIP holds.
    first = folder / manifest["decisions"][0]["file"]
    ok = subprocess.run([sys.executable, "-m", "app.signing.verify", str(first), "--root", str(folder / "root.pem")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("有效：") and "张晓梅" in ok.stdout

    # The same archive again (a new link), and the Excel list of the search.
    with page.expect_download() as again:
        page.click("#download-zip")
    assert hashlib.sha256(again.value.path().read_bytes()).hexdigest() == hashlib.sha256(saved.read_bytes()).hexdigest()
    with page.expect_download() as xlsx:
        page.click("#export-xlsx")
    assert xlsx.value.suggested_filename.endswith("2条.xlsx")

    # The link does not work without the session cookie: a browser that is not signed in is refused.
    stranger = key_browser.context.browser.new_context()
    try:
        response = stranger.request.get(origin + "/api/exports/" + "A" * 43)
        assert response.status == 403
    finally:
        stranger.close()

    # Every download is on the audit log.
    page.get_by_role("tab", name="审计日志").click()
    choose(page, "#log-group", "下载与导出")
    page.click("#log-search")
    page.wait_for_selector("#audit-log >> text=打包下载决定书（ZIP）")
    log = page.inner_text("#audit-log")
    assert log.count("打包下载决定书（ZIP）") == 2 and "导出决定查询结果（Excel）" in log and "刘芳（P001）" in log
