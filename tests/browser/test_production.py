"""Issue 11: the production shape, whole. scripts/production.sh builds the frontend once for
https://approval.test:8443 and writes the nginx site; nginx terminates TLS with a certificate from a
test CA that Chromium trusts through its NSS store (no certificate error: a secure context, as on
the bureau's real host name); two backend workers, each with a data folder of its own (as on two
hosts), share PostgreSQL, Redis and the database file store.

What is proven here:
- an officer signs in, a case is accepted and signed with the key, the PDF downloaded and verified
  on approval.test (the key's RP ID and origin are the host name's);
- a signing ceremony begun on worker 1 completes on worker 2: the click 签署 reaches worker 1 while
  worker 2 is not running; worker 1 is then stopped and the touch reaches worker 2, the only one
  left — the challenge (PostgreSQL), the draft PDF (stored_file) and the tab's state (Redis) all
  came from another process with another disk;
- a page whose worker stops (rolling restart) reconnects to the other and carries on signed in."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from sqlmodel import select

from app.db import get_engine, transaction
from app.models import Case, Decision, StoredFile, WebAuthnChallenge
from app.state.counter import CounterState
from app.state.webauthn_js import get_script
from tests.browser import stack as st
from tests.browser.hostile import send_events
from tests.browser.steps import review, review_and_sign, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.production]
COUNTER = CounterState.get_full_name()


@pytest.fixture(scope="module")
def stack():
    folder = st.new_folder()
    s = st.Stack(folder, workers=2)
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
    assert not errors, "a worker raised:\n" + "\n".join(errors)


def db():
    return transaction(get_engine(st.DB_URL))


@pytest.fixture(scope="module")
def officer(stack):
    """A001 enrolled through the CLI's link, S001's key registered by A001, S001 at the counter."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = stack.launch_browser(pw)
        kb = st.approver_at_counter(stack, browser)
        yield kb
        kb.close()
        browser.close()


def _conditions(page) -> int:
    return page.locator("#current-case [role=checkbox][id^=condition-]").count()


def _offline_verify(pdf_path, root_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.signing.verify", str(pdf_path), "--root", str(root_path)],
                          capture_output=True, text=True)


def test_sign_download_and_verify_on_a_real_host_name(stack, officer, tmp_path):
    page = officer.page
    assert page.evaluate("[window.isSecureContext, location.origin]") == [True, st.ORIGIN]
    # Served through nginx: the app's security headers on static files and on the app's routes;
    # Reflex's upload route closed; the health endpoint reports every part.
    status, headers, _ = _fetch(page, "/counter")
    assert status == 200
    for name, value in (("x-frame-options", "DENY"), ("content-security-policy", "frame-ancestors 'none'"),
                        ("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"),
                        ("strict-transport-security", "max-age=31536000")):
        assert headers.get(name) == value, (name, headers)
    status, headers, body = _fetch(page, "/api/health")
    assert status == 200 and json.loads(body) == {"database": "ok", "redis": "ok", "renderer": "ok", "storage": "ok"}
    assert headers["x-frame-options"] == "DENY"  # one copy, nginx's: the worker's own is hidden
    assert _fetch(page, "/_upload/anything")[0] == 404

    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区示例餐饮店")
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    number = page.inner_text("#signed-number").replace("已签署：", "").strip()
    with page.expect_download() as download:
        page.click("#download")
    pdf_file = tmp_path / "decision.pdf"
    download.value.save_as(pdf_file)

    with db() as s:
        decision = s.exec(select(Decision).where(Decision.document_number == number)).one()
        stored = s.get(StoredFile, f"pdfs/{decision.pdf_sha256}.pdf")
        assert stored is not None and stored.data == pdf_file.read_bytes()
        assert not s.exec(select(StoredFile).where(StoredFile.key.startswith("drafts/"))).all()
    payload = json.loads(decision.payload)
    assert payload["origin"] == st.ORIGIN and payload["rp_id"] == st.HOST  # WebAuthn bound to the host name
    assert payload["verify_url"].startswith(st.ORIGIN + "/verify?code=")
    for n in (1, 2):  # neither "host" keeps a PDF on its disk: they live in PostgreSQL
        assert not (stack.data_dir(n) / "pdfs").exists() and not (stack.data_dir(n) / "drafts").exists()

    # Verified there: on the public /verify page by upload, and offline with the root from it.
    sign_out(page)
    page.goto(st.ORIGIN + "/verify")
    page.get_by_role("tab", name="上传文件核验").click()
    page.set_input_files("#verify-file", str(pdf_file))
    page.wait_for_selector("#file-name:has-text('decision.pdf')")
    page.click("#verify-upload")
    page.wait_for_selector("#verdict:has-text('有效：准予行政许可决定书')", timeout=60000)
    with page.expect_download() as download:
        page.click("#download-root")
    root = tmp_path / "root.pem"
    download.value.save_as(root)
    ok = _offline_verify(pdf_file, root)
    assert ok.returncode == 0 and ok.stdout.startswith("有效：") and "张晓梅" in ok.stdout, ok.stdout
    sign_in(page, st.ORIGIN, "S001", "/counter")


def test_a_signing_ceremony_begun_on_one_worker_completes_on_the_other(stack, officer, tmp_path):
    """The page's own socket would re-run the counter's on_load after a reconnect, which abandons an
    open key prompt (see the xfail below), so the two halves travel over raw Socket.IO sockets
    opened from inside the signed-in page, as tests/browser/hostile.py does: the browser's cookie,
    origin, TLS and virtual key, without the page's reconnect."""
    page = officer.page
    stack.stop_worker(2)  # only worker 1 serves
    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区跨进程餐饮店")
    conditions = _conditions(page)
    with db() as s:
        case = s.exec(select(Case).where(Case.applicant_name == "淄博市张店区跨进程餐饮店")).one()

    # 1. Click 签署 on worker 1: checks, 文号, PDF rendered, challenge stored, key prompt sent.
    assert stack.procs[2].poll() is not None and st._port_free(stack.port(2))
    replies = send_events(page, st.ORIGIN, [(f"{COUNTER}.start_signing", {"form_data": {
        **{f"condition-{i}": "on" for i in range(conditions)}, "opinion": "经审查，符合条件，同意准予许可。"}},
        "allowCredentials")], quiet_ms=1500)
    options = _options_from_script(replies)
    with db() as s:
        challenge = s.exec(select(WebAuthnChallenge).where(WebAuthnChallenge.purpose == "sign")
                           .order_by(WebAuthnChallenge.created_at.desc())).first()
        assert challenge.used_at is None and challenge.context["case_id"] == case.id
        draft_key = f"drafts/{json.loads(challenge.context['payload'])['document']['sha256']}.pdf"
        assert s.get(StoredFile, draft_key) is not None  # in PostgreSQL, not on host 1's disk
    assert not (stack.data_dir(1) / "drafts").exists()

    # 2. Worker 2 starts, worker 1 stops (as in a rolling restart): only worker 2 is left.
    stack.start_worker(2)
    stack.stop_worker(1)
    assert stack.procs[1].poll() is not None and st._port_free(stack.port(1))

    # 3. The touch: the browser's key answers the prompt worker 1 issued; worker 2 stores it.
    result = page.evaluate(f"() => {get_script(json.dumps(options))}")
    assert result["ok"] is True, result
    replies = send_events(page, st.ORIGIN, [(f"{COUNTER}.finish_signing", {"result": result}, "已签署")],
                          quiet_ms=1500)
    assert "已签署" in replies, replies[-2000:]
    with db() as s:
        decision = s.exec(select(Decision).where(Decision.case_id == case.id)).one()
        assert s.get(WebAuthnChallenge, challenge.id).used_at is not None
        assert s.get(StoredFile, draft_key) is None  # signed: the draft went with it
        pdf = s.get(StoredFile, f"pdfs/{decision.pdf_sha256}.pdf").data
    assert "张行审许字" in decision.document_number
    log2 = stack.log(2).read_text()
    assert "Traceback" not in log2, log2[-3000:]

    stack.start_worker(1)  # both serve again
    root = tmp_path / "root.pem"
    root.write_bytes((stack.data_dir(2) / "pki" / "root.pem").read_bytes())
    pdf_file = tmp_path / "cross.pdf"
    pdf_file.write_bytes(pdf)
    ok = _offline_verify(pdf_file, root)
    assert ok.returncode == 0 and "张晓梅" in ok.stdout, ok.stdout


def test_a_page_whose_worker_stops_reconnects_to_the_other_and_stays_signed_in(stack, officer):
    """Rolling restart: each worker in turn is stopped under an open counter page; the page
    reconnects through nginx to the other, the session (cookie + tab state in Redis) holds, and
    the officer goes on accepting and signing."""
    page = officer.page
    stack.wait_healthy(1)
    stack.wait_healthy(2)
    for stopped, serving in ((1, 2), (2, 1)):
        page.goto(st.ORIGIN + "/counter")
        page.wait_for_selector("#accept")
        stack.stop_worker(stopped)
        applicant = f"淄博市张店区重启{stopped}号店"
        _wait_reconnected(stack, serving)
        st.accept_new(page, applicant)  # over the new connection: still signed in
        review_and_sign(page)
        page.wait_for_selector(f"tr:has-text('{applicant}') >> text=准予许可", timeout=60000)
        stack.start_worker(stopped)
    assert page.url.endswith("/counter")


def test_the_pages_own_key_prompt_across_its_worker_stopping(stack, officer):
    """The page's own socket, the same rolling restart while the key prompt is open. Today the
    touch is refused (the reconnect re-ran the counter's on_load, which abandons the open challenge:
    CounterState.load clears _sign_challenge) and the approver signs again on the other worker;
    marked xfail until app/state/counter.py keeps an open challenge across a reconnect."""
    from app.models import AuditEvent

    page = officer.page
    stack.stop_worker(2)
    page.goto(st.ORIGIN + "/counter")
    st.accept_new(page, "淄博市张店区等待触碰店")
    review(page)
    page.evaluate("""() => {
        const real = navigator.credentials.get.bind(navigator.credentials);
        window.__touch = null;
        navigator.credentials.get = (o) => new Promise((resolve, reject) => {
            window.__touch = () => real(o).then(resolve, reject); });
    }""")
    page.click("#sign")
    page.wait_for_function("window.__touch !== null")  # the key prompt is open (issued by worker 1)
    number = page.inner_text("#notice").rsplit("签署", 1)[1].strip()  # 请触碰安全密钥并输入 PIN，签署 <文号>
    stack.start_worker(2)
    stack.stop_worker(1)
    _wait_reconnected(stack, 2)
    page.evaluate("window.__touch()")
    try:
        seen = _watch(page, 30)
        if seen[-1][0]:
            return  # the ceremony survived the reconnect
        error = next((e for _, e, _ in seen if e), "")
        with db() as s:
            last = s.exec(select(AuditEvent).where(AuditEvent.action == "refused")
                          .order_by(AuditEvent.seq.desc())).first()
        assert last.details["code"] == "challenge.malformed", (last.details, seen)  # the cleared id: ""
        assert error  # a Chinese reason on the page; nothing signed
        # The approver clicks 签署 again, now on worker 2, and finishes with the same 文号.
        page.evaluate("window.__touch = null")
        page.click("#sign")
        page.wait_for_function("window.__touch !== null")
        page.evaluate("window.__touch()")
        page.wait_for_selector("#signed-number:has-text('已签署')", timeout=60000)
        assert number in page.inner_text("#signed-number")
        pytest.xfail(f"the touch after the reconnect was refused ({error}); signing again worked")
    finally:
        stack.start_worker(1)


def _watch(page, seconds: float) -> list[tuple[str, str, str]]:
    """(signed number, error, notice) as the page shows them, until signed or an error shows."""
    import time

    seen, deadline = [], time.time() + seconds
    while time.time() < deadline:
        state = tuple(page.evaluate("""() => ["#signed-number", "#error", "#notice"].map(
            (q) => (document.querySelector(q)?.innerText || "").trim())"""))
        if not seen or seen[-1] != state:
            seen.append(state)
        if state[0] or state[1]:
            break
        time.sleep(0.3)
    return seen


def _wait_reconnected(stack, n: int, timeout: float = 60) -> None:
    """Until worker n holds a connection from nginx (the page's socket), then a moment to hydrate."""
    import time

    deadline = time.time() + timeout
    while stack.connections_to(n) == 0:
        assert time.time() < deadline, f"the page did not reconnect to worker {n}"
        time.sleep(0.3)
    time.sleep(2)


def _fetch(page, path: str) -> tuple[int, dict, str]:
    """GET from inside the page (the browser's name resolution, TLS trust and cookies)."""
    return tuple(page.evaluate("""async (url) => {
        const r = await fetch(url, {cache: "no-store"});
        return [r.status, Object.fromEntries(r.headers.entries()), await r.text()];
    }""", st.ORIGIN + path))


def _options_from_script(replies: str) -> dict:
    """The request options inside the call_script the server sent (app/state/webauthn_js.py)."""
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    for frame in replies.split("\n"):
        if frame.startswith("42/_event,"):
            for text in strings(json.loads(frame[len("42/_event,"):])):
                if "const options = " in text:
                    return json.loads(text.split("const options = ", 1)[1].split(";\n", 1)[0])
    raise ValueError("no signing options in the replies:\n" + replies[-2000:])
