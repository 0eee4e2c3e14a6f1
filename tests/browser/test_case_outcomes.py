"""Issue 9 in the browser: every way a case ends at the counter — 补正 then 受理 then 准予, a signed
不予受理, 转出 routed by the working group, 回避 to another approver — with every document printed."""

from __future__ import annotations

import re

import pytest

from tests.browser.steps import (accept_case, choose, enroll_first_admin, fill_application, register_key_for, review,
                                 sign_in, sign_out)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def counter(key_browser):
    """A001 enrolled; S001's and S003's keys registered; S001 at the counter."""
    kb = key_browser
    enroll_first_admin(kb.page, kb.origin)
    sign_in(kb.page, kb.origin, "A001", "/roster")
    register_key_for(kb.page, "S001")
    register_key_for(kb.page, "S003")
    sign_out(kb.page)
    sign_in(kb.page, kb.origin, "S001", "/counter")
    return kb


def _case_no(page) -> str:
    return re.search(r"SL\d{14}", page.inner_text("#notice")).group(0)


def _printed_pdf_head(page) -> str:
    """What the hidden print frame holds: the PDF the browser's print dialog prints."""
    page.wait_for_selector("#print-frame", state="attached")
    return page.evaluate("""async () => {
        const r = await fetch(document.getElementById('print-frame').src);
        return new TextDecoder().decode((new Uint8Array(await r.arrayBuffer())).slice(0, 5));
    }""")


def _print(page, selector: str) -> None:
    page.evaluate("() => document.getElementById('print-frame')?.remove()")
    page.click(selector)
    assert _printed_pdf_head(page) == "%PDF-"


def test_correction_then_acceptance_then_approval_with_every_document_printed(counter):
    page = counter.page
    page.goto(counter.origin + "/counter")
    fill_application(page, received=1)
    page.locator("#intake").get_by_role("radio", name="一次性告知补正").click()
    page.fill("#need-0", "申请书未经法定代表人签字，请签字后提交")
    page.click("#accept")
    page.wait_for_selector("#notice:has-text('已出具补正材料通知书')")
    case_no = _case_no(page)
    assert page.inner_text("#case-state") == "待补正"
    assert "申请书未经法定代表人签字" in page.inner_text("#current-case")
    _print(page, "#documents button:has-text('打印')")
    # The applicant comes back with everything: accepted that day.
    page.click("#accept-corrected")
    page.wait_for_selector("#error:has-text('材料仍不齐全')")
    for box in page.locator("#current-case [role=checkbox][id^=received-]").all():
        box.check()
    page.click("#accept-corrected")
    page.wait_for_selector("#notice:has-text('已受理')")
    assert page.inner_text("#case-state") == "已受理"
    assert "当场办结·已用时" in page.inner_text("#case-timing")
    assert page.locator("#documents").inner_text().count("打印") == 2  # 补正材料通知书, 受理通知书
    _print(page, "[id^=print-notice-] >> nth=1")
    review(page)
    page.click("#sign")
    page.wait_for_selector("#signed-number:has-text('张行审许字')", timeout=60000)
    _print(page, "#print")
    row = page.locator("tr", has_text=case_no)
    assert "准予许可" in row.inner_text()


def test_not_accepted_is_signed_with_the_key(counter):
    page = counter.page
    page.goto(counter.origin + "/counter")
    fill_application(page, received=0)
    page.locator("#intake").get_by_role("radio", name="不予受理").click()
    page.click("#accept")
    page.wait_for_selector("#error-category")  # the reason's category, beside its field
    assert page.input_value("#applicant-name") == "淄博市张店区示例餐饮店"  # the form keeps what was typed
    choose(page, "#category", "不属于本机关职权范围")
    page.fill("#reason", "经营场所位于淄川区，应向淄川区行政审批服务局申请")
    page.click("#accept")
    page.wait_for_selector("#notice:has-text('已登记')")
    assert page.inner_text("#case-state") == "收件" and "淄川区" in page.inner_text("#closing")
    page.fill("#opinion", "经审查，申请事项不属于本机关管辖范围，不予受理。")
    page.click("#sign")
    page.wait_for_selector("#signed-number:has-text('张行审不受字')", timeout=60000)
    assert page.inner_text("#case-state") == "不予受理"


def test_transfer_out_then_routed_by_the_working_group(counter):
    page = counter.page
    page.goto(counter.origin + "/counter")
    accept_case(page)
    case_no = _case_no(page)
    page.click("#open-transfer")
    page.click("#confirm-transfer")
    page.wait_for_selector("#dialog-error:has-text('请选择')")
    choose(page, "#transfer-category", "利害关系人提出异议")
    page.fill("#transfer-reason", "相邻商户书面提出异议")
    page.click("#confirm-transfer")
    page.wait_for_selector("#notice:has-text('已转出独立审批')")
    assert page.inner_text("#case-state") == "已转出"
    _print(page, "[id^=print-notice-] >> nth=1")  # 转出独立审批告知书
    sign_out(page)
    sign_in(page, counter.origin, "A001", "/roster")
    page.goto(counter.origin + "/cases")
    row = page.locator("tr", has_text=case_no)
    row.locator("input[name=note]").fill("转市场准入科按一般程序办理")
    row.locator("button:has-text('登记转办')").click()
    page.wait_for_selector("#notice:has-text('已登记转办去向')")
    assert "已转办" in page.locator("tr", has_text=case_no).inner_text()
    sign_out(page)
    sign_in(page, counter.origin, "S001", "/counter")


def test_recusal_hands_the_case_to_another_approver_who_declares_before_signing(counter):
    page = counter.page
    page.goto(counter.origin + "/counter")
    accept_case(page, applicant="淄博市张店区某某超市")
    case_no = _case_no(page)
    page.click("#open-handover")
    choose(page, "#to-officer", "陈静（S003）")
    page.fill("#recusal-reason", "申请人法定代表人为本人近亲属")
    page.click("#confirm-handover")
    page.wait_for_selector("#notice:has-text('已回避')")
    assert page.locator("tr", has_text=case_no).count() == 0  # no longer S001's
    sign_out(page)
    sign_in(page, counter.origin, "S003", "/counter")
    page.locator("tr", has_text=case_no).get_by_text("打开").click()
    page.wait_for_selector("#declare-no-conflict")
    assert "由张晓梅（S001）回避移交" in page.inner_text("#handover-note")
    review(page)
    page.click("#sign")
    page.wait_for_selector("#error:has-text('声明与本申请无利害关系')")
    page.check("#declare-no-conflict")
    page.click("#sign")
    page.wait_for_selector("#signed-number:has-text('张行审许字')", timeout=60000)
    # The next officer at this browser starts with a clean counter: S003's open case is not S001's.
    sign_out(page)
    sign_in(page, counter.origin, "S001", "/counter")
    page.wait_for_selector("#new-case-form")
    page.wait_for_timeout(1000)
    assert page.locator("#error").count() == 0 and page.locator("#current-case").count() == 0


def test_a_double_click_on_accept_accepts_once_and_keeps_the_success(counter):
    from sqlmodel import func, select

    from app.db import transaction
    from app.models import Case

    def cases() -> int:
        with transaction() as s:
            return s.exec(select(func.count()).select_from(Case)).one()

    page = counter.page
    page.goto(counter.origin + "/counter")
    before = cases()
    fill_application(page, applicant="淄博市张店区双击测试店")
    page.dblclick("#accept")
    page.wait_for_selector("#notice:has-text('已受理')")
    page.wait_for_timeout(1500)
    assert cases() == before + 1
    assert page.locator("#error").count() == 0 and page.locator("#notice:has-text('已受理')").count() == 1


def test_an_admin_extends_a_deadline_with_a_fresh_key_confirmation(counter):
    page = counter.page
    sign_out(page)
    sign_in(page, counter.origin, "S001", "/counter")
    accept_case(page, applicant="淄博市张店区延期测试店")
    case_no = _case_no(page)
    sign_out(page)
    sign_in(page, counter.origin, "A001", "/roster")
    page.goto(counter.origin + "/cases")
    row = page.locator("tr", has_text=case_no)
    before = row.locator("td").nth(3).inner_text()
    row.locator("button:has-text('延期')").click()
    page.fill("[id^=extend-reason-]", "需核实经营场所权属证明，经局负责人批准延期")
    page.fill("[id^=days-]", "5")
    page.click("[id^=confirm-extend-]")  # the step-up prompt is answered by the virtual key, then it resumes
    page.wait_for_selector("#notice:has-text('已延期')", timeout=60000)
    after = page.locator("tr", has_text=case_no).locator("td").nth(3).inner_text()
    assert after > before
    page.locator("tr", has_text=case_no).locator("button:has-text('延期')").click()
    page.fill("[id^=extend-reason-]", "再延一次")
    page.click("[id^=confirm-extend-]")
    page.wait_for_selector("[role=dialog] :text('已延期一次')")
