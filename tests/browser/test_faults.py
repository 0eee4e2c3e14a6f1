"""Issue 11, faults under the production stack (tests/browser/stack.py): PostgreSQL and Redis are
reached through TCP proxies this test stops and starts again (the servers are shared, so they are
never restarted themselves; stopping the proxy drops every connection, as a restart does). The
officer works in Chromium on https://approval.test; the workers are never restarted."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlmodel import func, select

from app.db import get_engine, transaction
from app.models import Case, Decision
from tests.browser import stack as st
from tests.browser.steps import fill_application, review_and_sign

# `unsteady`: in the full suite the setup's second sign-in through the proxies timed out once (CI,
# 2026-11-27) while the module passed alone; kept out of .ci/run until that is understood (issue 11).
pytestmark = [pytest.mark.browser, pytest.mark.production, pytest.mark.unsteady]


@pytest.fixture(scope="module")
def stack():
    folder = st.new_folder()
    s = st.Stack(folder, workers=2, proxies=True)
    try:
        s.prepare()
        s.start_nginx()
        s.start_worker(1, wait=False)
        s.start_worker(2, wait=False)
        s.wait_healthy(1)
        s.wait_healthy(2)
        yield s
    finally:
        s.stop()
    errors = s.backend_errors()
    s.drop_database()
    shutil.rmtree(folder, ignore_errors=True)
    assert not errors, "a worker raised in the app's code:\n" + "\n".join(errors)


@pytest.fixture(scope="module")
def officer(stack):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = stack.launch_browser(pw)
        kb = st.approver_at_counter(stack, browser)
        yield kb
        kb.close()
        browser.close()


def count(model, **where) -> int:
    with transaction(get_engine(st.DB_URL)) as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return s.exec(query).one()


def health(page) -> tuple[int, dict]:
    status, body = page.evaluate("""async (url) => {
        const r = await fetch(url, {cache: "no-store"}); return [r.status, await r.text()]; }""",
                                 st.ORIGIN + "/api/health")
    return status, json.loads(body)


def test_postgresql_goes_away_and_comes_back(stack, officer):
    page = officer.page
    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区断库前餐饮店")
    cases = count(Case)

    fill_application(page, applicant="淄博市张店区断库中餐饮店")
    stack.db_proxy.stop()  # as a PostgreSQL restart: every connection dropped, none accepted
    try:
        page.click("#accept")
        page.wait_for_selector("#error:has-text('数据库暂时无法连接')", timeout=30000)
        status, report = health(page)
        assert status == 503 and report["database"].startswith("error: ") and report["redis"] == "ok", report
        assert "127.0.0.1" not in json.dumps(report) and "postgres" not in json.dumps(report)
    finally:
        stack.db_proxy.start()

    # Back, without restarting anything: the same page, still signed in, goes on.
    page.click("#accept")
    page.wait_for_selector("#notice:has-text('已受理')", timeout=30000)
    assert count(Case) == cases + 1  # the refused attempt stored nothing, the retry one case
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    assert health(page) == (200, {"database": "ok", "redis": "ok", "renderer": "ok", "storage": "ok"})


def test_postgresql_goes_away_between_the_click_and_the_touch(stack, officer):
    """The key prompt is open when the database goes: the touch is refused in Chinese and nothing
    is stored; once it is back the approver signs again and the case gets its 文号."""
    page = officer.page
    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区签署断库店")
    with transaction(get_engine(st.DB_URL)) as s:
        case = s.exec(select(Case).where(Case.applicant_name == "淄博市张店区签署断库店")).one()
    page.evaluate("""() => {
        const real = navigator.credentials.get.bind(navigator.credentials);
        window.__touch = null;
        navigator.credentials.get = (o) => new Promise((resolve, reject) => {
            window.__touch = () => real(o).then(resolve, reject); });
    }""")
    for box in page.locator("#current-case [role=checkbox][id^=condition-]").all():
        box.check()
    page.fill("#opinion", "经审查，符合条件，同意准予许可。")
    page.click("#sign")
    page.wait_for_function("window.__touch !== null")
    stack.db_proxy.stop()
    try:
        page.evaluate("window.__touch()")
        page.wait_for_selector("#error:has-text('数据库暂时无法连接')", timeout=30000)
    finally:
        stack.db_proxy.start()
    assert count(Decision, case_id=case.id) == 0
    page.evaluate("window.__touch = null")
    page.click("#sign")
    page.wait_for_function("window.__touch !== null")
    page.evaluate("window.__touch()")
    page.wait_for_selector("#signed-number:has-text('已签署')", timeout=60000)
    assert count(Decision, case_id=case.id) == 1


def test_redis_goes_away_and_comes_back(stack, officer):
    """Tab state lives in Redis: while it is unreachable the page's events cannot be processed; the
    officer is told so in Chinese and nothing is stored. When it returns, the same page — still
    signed in, nothing reloaded — works again, and nothing stored before was lost."""
    page = officer.page
    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区断缓存前店")
    before = page.inner_text("#notice")
    cases = count(Case)
    fill_application(page, applicant="淄博市张店区断缓存中店")
    stack.redis_proxy.stop()
    try:
        page.click("#accept")
        page.wait_for_selector("[data-sonner-toast]:has-text('会话服务暂时无法连接')", timeout=30000)
        status, report = health(page)
        assert status == 503 and report["redis"].startswith("error: ") and report["database"] == "ok", report
        assert count(Case) == cases and page.inner_text("#notice") == before
    finally:
        stack.redis_proxy.start()
    page.wait_for_timeout(2000)
    page.click("#accept")  # the same form, the same page, no reload
    page.wait_for_function("(before) => { const n = document.querySelector('#notice')?.innerText || '';"
                           " return n.includes('已受理') && n !== before; }", arg=before, timeout=30000)
    assert count(Case) == cases + 1
    with transaction(get_engine(st.DB_URL)) as s:
        assert s.exec(select(Case).where(Case.applicant_name == "淄博市张店区断缓存前店")).one()
    assert health(page) == (200, {"database": "ok", "redis": "ok", "renderer": "ok", "storage": "ok"})


def test_a_worker_killed_with_sigkill_while_the_key_prompt_is_open(stack, officer):
    """kill -9 of the worker holding the page's socket while the approver's key prompt is open.
    Nothing half-stored (no decision, the 文号 still the case's); the page reconnects through nginx
    to the other worker but lands on sign-in: Reflex's record of the dead worker's socket stays in
    Redis, so the reconnect is handed a new tab token (reflex/utils/token_manager.py; a SIGTERM
    removes the record, see test_production). The approver signs in again, opens the case and signs
    it with the same 文号."""
    import signal
    import time

    from app.models import DocumentNumber
    from tests.browser.steps import sign_in

    page = officer.page
    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区强杀签署店")
    with transaction(get_engine(st.DB_URL)) as s:
        case = s.exec(select(Case).where(Case.applicant_name == "淄博市张店区强杀签署店")).one()
    page.evaluate("""() => {
        const real = navigator.credentials.get.bind(navigator.credentials);
        window.__touch = null;
        navigator.credentials.get = (o) => new Promise((resolve, reject) => {
            window.__touch = () => real(o).then(resolve, reject); });
    }""")
    for box in page.locator("#current-case [role=checkbox][id^=condition-]").all():
        box.check()
    page.fill("#opinion", "经审查，符合条件，同意准予许可。")
    page.click("#sign")
    page.wait_for_function("window.__touch !== null")
    token = page.evaluate("window.sessionStorage.getItem('token')")
    holder = next(n for n in (1, 2) if stack.connections_to(n))
    stack.stop_worker(holder, sig=signal.SIGKILL)
    deadline = time.time() + 60
    while not stack.connections_to(3 - holder):
        assert time.time() < deadline, "the page did not reconnect to the other worker"
        page.wait_for_timeout(300)
    page.evaluate("window.__touch()")  # the touch after the kill goes nowhere useful …
    page.wait_for_function("location.pathname === '/'", timeout=30000)  # … the page is at sign-in
    assert page.evaluate("window.sessionStorage.getItem('token')") != token  # handed a new tab token
    with transaction(get_engine(st.DB_URL)) as s:
        assert s.get(Case, case.id).state == "accepted"
        assert count(Decision, case_id=case.id) == 0
        number = s.exec(select(DocumentNumber).where(DocumentNumber.case_id == case.id)).one()
        assert number.voided_at is None
    stack.start_worker(holder)

    sign_in(page, st.ORIGIN, "S001", "/counter")
    page.locator("tr", has_text=case.case_no).get_by_role("button", name="打开").click()
    page.wait_for_selector(f"#current-case:has-text('{case.case_no}')")
    for box in page.locator("#current-case [role=checkbox][id^=condition-]").all():
        box.check()
    page.fill("#opinion", "经审查，符合条件，同意准予许可。")
    page.click("#sign")  # a fresh page: the key answers at once
    page.wait_for_selector("#signed-number:has-text('已签署')", timeout=60000)
    assert number.number in page.inner_text("#signed-number")
