"""The admins' pages at 1366×768 in a real browser: the bureau's emblem and name on every page, a
Chinese 404 page, the holiday calendar as the deadlines count it, readable guides that print on
their own (A4), Radix controls tied to their labels, confirmations before destructive actions,
system settings on a page of their own, and nothing wider than the screen.

SCREENSHOTS=/some/folder keeps a screenshot of every page checked."""

from __future__ import annotations

import os
import re

import pytest
from sqlmodel import select

from app.config import settings
from app.db import transaction
from app.models import AuditEvent, Item, LoginSession, Officer, SecurityKey
from app.rules.calendar import clock
from tests.browser.steps import enroll_first_admin, register_key_for, sign_in

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1366, 768


def check_page(page, name: str) -> None:
    """Nothing wider than the screen, no control cut off, every label tied to an existing control,
    no native select or checkbox; emblem, organ name and favicon in place."""
    page.wait_for_timeout(300)
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], f"{name}.png"), full_page=True)
    found = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const outside = [...document.querySelectorAll('button, a, input, td, th')]
            .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1); })
            .map(e => e.outerHTML.slice(0, 120));
        const clipped = [...document.querySelectorAll('td button, td a')]
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right >
                         e.closest('td').getBoundingClientRect().right + 1)
            .map(e => e.outerHTML.slice(0, 120));
        const untied = [...document.querySelectorAll('label[for]')].filter(l => !document.getElementById(l.htmlFor))
            .map(l => l.htmlFor);
        const native = [...document.querySelectorAll('select, input[type=checkbox]')]
            .filter(e => e.getAttribute('aria-hidden') !== 'true').map(e => e.outerHTML.slice(0, 120));
        return {scroll: document.documentElement.scrollWidth, width, outside, clipped, untied, native};
    }""")
    assert found["scroll"] <= WIDTH, (name, found["scroll"])
    assert not found["outside"] and not found["clipped"], (name, found)
    assert not found["untied"] and not found["native"], (name, found)
    assert page.get_attribute("#brand img", "src") == "/emblem.svg"
    assert settings.organ_name in page.inner_text("header")
    assert page.get_attribute("head link[rel=icon]", "href") == "/favicon.svg"


def _id(model, **where) -> int:
    with transaction() as s:
        query = select(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return s.exec(query).one().id


@pytest.fixture(scope="module")
def admin_page(key_browser):
    page, origin = key_browser.page, key_browser.origin
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    enroll_first_admin(page, origin)
    sign_in(page, origin, "A001", "/roster")
    register_key_for(page, "S001")
    return page, origin


def test_identity_favicon_and_404(admin_page):
    page, origin = admin_page
    for asset in ("/favicon.svg", "/emblem.svg", "/favicon.ico"):
        response = page.request.get(origin + asset)
        assert response.status == 200, asset
        assert asset.endswith(".ico") or b"<svg" in response.body()
    page.goto(origin + "/verify")
    page.wait_for_selector("#lookup")
    check_page(page, "verify")
    assert "行政许可决定书核验" in page.inner_text("header")

    page.goto(origin + "/no-such-page")
    page.wait_for_selector("#not-found")
    assert "您访问的页面不存在" in page.inner_text("#not-found")
    assert page.title().startswith("页面不存在")
    check_page(page, "404")


def test_calendar_shows_the_days_the_deadlines_count(admin_page):
    page, origin = admin_page
    page.goto(origin + "/calendar")
    page.wait_for_selector("#year-grid")
    assert page.input_value("#year") == str(clock.today().year)  # not 0 on the first visit
    legend = page.inner_text("#legend")
    assert all(word in legend for word in ("法定节假日", "调休上班", "周末", "工作组录入"))

    page.goto(origin + "/calendar?year=2026")
    page.wait_for_selector("[data-date='2026-10-01']")
    assert page.input_value("#year") == "2026"
    for day in range(1, 8):  # 国庆节 from the chinesecalendar package: rest days
        cell = page.locator(f"[data-date='2026-10-0{day}']")
        assert cell.get_attribute("data-kind") == "holiday"
        assert "国庆节" in cell.get_attribute("title") and "内置日历" in cell.get_attribute("title")
    assert page.get_attribute("[data-date='2026-10-10']", "data-kind") == "makeup"  # the make-up Saturday
    assert page.get_attribute("[data-date='2026-10-11']", "data-kind") == "weekend"
    assert "国庆节 1–7日" in page.inner_text("#month-10") and "10日调休上班" in page.inner_text("#month-10")
    check_page(page, "calendar-2026")

    page.click("#next-year")  # 2027: no data yet, provisional, until the admins enter it
    page.wait_for_selector("[data-date='2027-01-01']")
    assert page.input_value("#year") == "2027"
    page.wait_for_selector("#provisional")
    assert "无放假安排数据" in page.inner_text("#year-state")
    assert page.get_attribute("[data-date='2027-01-01']", "data-kind") == "workday"
    page.fill("#entry-day", "2027-01-01")
    page.fill("#entry-name", "元旦")
    page.fill("#entry-reason", "国务院办公厅 2027 年部分节假日安排")
    page.click("#add-entry")
    page.wait_for_selector("#notice:has-text('已登记')")
    cell = page.locator("[data-date='2027-01-01']")
    assert cell.get_attribute("data-kind") == "holiday" and "cal-src-admin" in cell.get_attribute("class")
    assert "工作组录入" in cell.get_attribute("title")
    assert "元旦" in page.inner_text("#entries")
    check_page(page, "calendar-2027")


def test_item_guide_reads_well_and_prints_on_its_own(admin_page):
    page, origin = admin_page
    page.goto(origin + f"/item?id={_id(Item, code='370303-SCZT-001')}")
    page.wait_for_selector("#flowchart svg")
    materials = page.inner_text("#materials")
    assert "食品经营许可申请书" in materials and "原件1份" in materials and "必需" in materials
    assert "|" not in materials
    guide = page.inner_text("#item-guide")
    assert "当场办结" in guide and not re.search(r"(?<!\d)0 个工作日", guide)
    assert "许可有效期" in guide and "许可内容" in guide
    check_page(page, "item")

    # 打印流程图 prints the flowchart alone; 打印办事指南 the guide and its flowchart.
    page.evaluate("() => { window.__printed = []; window.print = () => window.__printed.push(document.body.dataset.print); }")
    page.click("#print-flowchart")
    assert page.evaluate("window.__printed") == ["flowchart"]
    page.emulate_media(media="print")
    assert page.is_visible("#flowchart svg")
    for hidden in ("header", "#item-guide", "#print-flowchart", "#tab-listing", "#listed"):
        assert not page.is_visible(hidden), hidden
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # one page: the flowchart alone
    assert re.search(rb"/MediaBox \[0 0 594\.9\d* 841\.9\d*\]", pdf)  # A4
    if os.environ.get("SCREENSHOTS"):
        open(os.path.join(os.environ["SCREENSHOTS"], "flowchart.pdf"), "wb").write(pdf)
    page.emulate_media(media="screen")
    page.click("#print-guide")
    assert page.evaluate("window.__printed") == ["flowchart", "guide"]
    page.emulate_media(media="print")
    for shown in ("#item-guide", "#guide-facts", "#materials", "#flowchart svg"):
        assert page.is_visible(shown), shown
    assert not page.is_visible("header") and not page.is_visible("#download-guide")
    assert settings.organ_name in page.inner_text("#item-guide")  # the printed guide's own heading
    pdf = page.pdf(prefer_css_page_size=True)
    assert re.search(rb"/MediaBox \[0 0 594\.9\d* 841\.9\d*\]", pdf)  # A4
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2  # the flowchart on a page of its own
    if os.environ.get("SCREENSHOTS"):
        open(os.path.join(os.environ["SCREENSHOTS"], "guide.pdf"), "wb").write(pdf)
    page.emulate_media(media="screen")
    page.evaluate("delete document.body.dataset.print")

    # 许可内容 and 许可有效期 on the edit form (a new revision) and in the guide.
    page.click("#tab-edit")
    page.wait_for_selector("#edit-permit_content")
    assert "名称|原件份数|复印件份数|是否必需" in page.inner_text("form:has(#edit-materials)")
    check_page(page, "item-edit")
    page.fill("#edit-permit_content", "预包装食品销售（备案变更）")
    page.fill("#edit-validity_months", "60")
    page.fill("#edit-reason", "补充许可内容与有效期")
    page.click("#save-item")
    page.wait_for_selector("#notice:has-text('已保存为第 2 版')")
    page.click("#tab-guide")
    facts = page.inner_text("#guide-facts")
    assert "预包装食品销售（备案变更）" in facts and "5 年" in facts
    page.click("#tab-listing")
    page.wait_for_selector("#revisions >> text=补充许可内容与有效期")
    check_page(page, "item-listing")


def test_catalog_and_settings(admin_page):
    page, origin = admin_page
    page.goto(origin + "/catalog")
    page.wait_for_selector("#items >> text=370303-SCZT-001")
    check_page(page, "catalog")
    page.click("#open-new-item")
    page.wait_for_selector("#new-item-dialog")
    assert "名称|原件份数|复印件份数|是否必需" in page.inner_text("#new-item-dialog")
    assert page.is_visible("#new-validity_months") and page.is_visible("#new-permit_content")
    page.keyboard.press("Escape")
    page.wait_for_selector("#new-item-dialog", state="detached")

    page.click("#nav >> text=系统设置")
    page.wait_for_url("**/settings")
    page.wait_for_selector("#policy:has-text('接受任何型号')")
    assert settings.organ_name in page.inner_text("#parameters")
    check_page(page, "settings")


def test_roster_confirms_before_revoking_a_key(admin_page):
    page, origin = admin_page
    page.goto(origin + "/roster")
    key_id = _id(SecurityKey, officer_id=_id(Officer, staff_no="S001"))
    row = f"#key-{key_id}"
    page.wait_for_selector(row)
    assert page.evaluate("getComputedStyle(document.querySelector('#officers tbody td')).whiteSpace") == "nowrap"
    check_page(page, "roster")

    page.click(f"{row} .key-revoke")
    page.wait_for_selector("#key-dialog")
    text = page.inner_text("#confirm-text")
    assert f"张晓梅（S001）的密钥 {key_id}" in text and "立即不能登录和签署" in text and "不可恢复" in text
    check_page(page, "roster-revoke-dialog")
    page.click("#confirm-cancel")  # nothing happens
    page.wait_for_selector("#key-dialog", state="detached")
    with transaction() as s:
        assert s.get(SecurityKey, key_id).status == "active"

    page.click(f"{row} .key-revoke")
    page.click("#confirm-revoke")  # no reason: refused in the dialog, which stays open
    page.wait_for_selector("#error-dialog:has-text('停用密钥必须填写原因')")
    # The admin's last key confirmation is stale: the dialog's action asks for the key again (step-up,
    # STEP_UP_ACTIONS) and then completes.
    with transaction() as s:
        for login in s.exec(select(LoginSession)):
            login.stepped_up_at = None
            s.add(login)
        step_ups = len(s.exec(select(AuditEvent).where(AuditEvent.action == "stepup.confirmed")).all())
    page.fill("#confirm-reason", "持有人调岗，密钥收回")
    page.click("#confirm-revoke")
    page.wait_for_selector(f"#notice:has-text('密钥 {key_id} 已停用')")
    with transaction() as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "stepup.confirmed")).all()) == step_ups + 1
    page.wait_for_selector("#key-dialog", state="detached")
    assert "已停用" in page.inner_text(row) and page.locator(f"{row} .key-revoke").count() == 0
    with transaction() as s:
        assert s.get(SecurityKey, key_id).revoke_reason == "持有人调岗，密钥收回"

    page.click("#open-add-officer")
    page.wait_for_selector("#add-officer-dialog")
    for control in ("#new-staff-no", "#new-department", "#new-role-approver", "#new-officer-reason"):
        assert page.is_visible(f"label[for='{control[1:]}']"), control
    check_page(page, "roster-add-dialog")
    page.keyboard.press("Escape")
    page.wait_for_selector("#add-officer-dialog", state="detached")


def test_officer_page_confirms_before_revoking_or_exiting(admin_page):
    page, origin = admin_page
    page.goto(origin + f"/officer?id={_id(Officer, staff_no='S002')}")
    page.wait_for_selector("#authorizations .grant-revoke")
    check_page(page, "officer")
    page.click("#authorizations .grant-revoke")
    page.wait_for_selector("#officer-dialog")
    assert "撤销 李志强（S002）的授权 #" in page.inner_text("#confirm-text")
    page.click("#confirm-cancel")
    page.wait_for_selector("#officer-dialog", state="detached")
    page.click("#exit-officer")
    page.wait_for_selector("#officer-dialog")
    text = page.inner_text("#confirm-text")
    assert "为 李志强（S002）办理退出" in text and "不可恢复" in text
    page.click("#confirm-cancel")
    page.wait_for_selector("#officer-dialog", state="detached")
    with transaction() as s:
        assert s.get(Officer, _id(Officer, staff_no="S002")).status == "active"
