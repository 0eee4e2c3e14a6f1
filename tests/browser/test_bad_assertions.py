"""SPEC §5 bad inputs made by a real browser: Chromium's virtual authenticator forges a bad
signature, drops user verification or presence, and answers from a clone with a lower counter;
a hostile client replays a response and brings one made on another origin. Each is refused
with a clear message, stores nothing, and is on the audit record."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import AuditEvent, SecurityKey
from app.state.counter import CounterState
from tests.browser.hostile import send_events
from tests.browser.steps import accept_case, approver_at_counter, review_and_sign, sign_in
from tests.flows import business_snapshot

pytestmark = pytest.mark.browser
COUNTER = CounterState.get_full_name()


@pytest.fixture(scope="module")
def approver_page(key_browser):
    """A001 enrolled, S001's key registered, S001 signed in at the counter."""
    approver_at_counter(key_browser)
    return key_browser


def sign_expecting_refusal(page, message: str) -> None:
    review_and_sign(page)
    page.wait_for_selector(f"#error:has-text('{message}')", timeout=60000)


def unchanged_by_signing(before: dict) -> bool:
    """The 文号 is reserved for the case when the decision is prepared, before the key is touched,
    and kept for the retry; everything else must be as it was."""
    after = business_snapshot()
    ignore = ("DocumentNumber", "sequences")
    return {k: v for k, v in after.items() if k not in ignore} == {k: v for k, v in before.items() if k not in ignore}


def last_refusal() -> str:
    with transaction() as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    return event.details.get("code", "") if event.action == "refused" else f"<{event.action}>"


@pytest.mark.parametrize("override, message, code", [
    ("isBogusSignature", "密钥签名无效", "webauthn.bad_signature"),
    ("isBadUV", "用户验证", "webauthn.no_user_verification"),
    ("isBadUP", "用户触碰", "webauthn.no_user_presence"),
])
def test_forged_assertions_are_refused(approver_page, override, message, code):
    kb = approver_page
    page = kb.page
    page.goto(kb.origin + "/counter")
    accept_case(page)
    before = business_snapshot()
    kb.cdp.send("WebAuthn.setResponseOverrideBits", {"authenticatorId": kb.authenticator, override: True})
    try:
        sign_expecting_refusal(page, message)
    finally:
        kb.cdp.send("WebAuthn.setResponseOverrideBits", {"authenticatorId": kb.authenticator, override: False})
    assert unchanged_by_signing(before)
    assert last_refusal() == code


def test_replayed_response_is_refused(approver_page):
    kb = approver_page
    page = kb.page
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    page.goto(kb.origin + "/counter")
    accept_case(page)
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    finish = next(f for f in sent if isinstance(f, str) and ".finish_signing" in f)
    result = json.loads(finish[finish.index("["):])[1]["payload"]["result"]
    page.goto(kb.origin + "/counter")
    accept_case(page)
    case_no = page.inner_text("#case-info")  # the new case is open in the tab's state
    before = business_snapshot()
    replies = send_events(page, kb.origin, [
        (f"{COUNTER}.start_signing", {"form_data": {**{f"condition-{i}": "on" for i in range(3)}, "opinion": "同意"}}, "请触碰"),
        (f"{COUNTER}.finish_signing", {"result": result}, "挑战值不符"),
    ])
    assert "挑战值不符" in replies, case_no
    assert unchanged_by_signing(before)
    assert last_refusal() == "webauthn.bad_challenge"


class _OtherOrigin(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>other origin</title><p>not the approval system</p>")

    def log_message(self, *args):
        pass


def test_assertion_made_on_another_origin_is_refused(approver_page):
    """A look-alike page on another port of the same host (a valid origin for the RP ID) gets the
    approver to touch the key; the hostile client submits that assertion."""
    kb = approver_page
    page = kb.page
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OtherOrigin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(kb.origin + "/counter")
        accept_case(page)
        replies = send_events(page, kb.origin, [
            (f"{COUNTER}.start_signing",
             {"form_data": {**{f"condition-{i}": "on" for i in range(3)}, "opinion": "同意"}}, "allowCredentials"),
        ])
        options = _options_from_script(replies)
        page.goto(f"http://localhost:{server.server_address[1]}/")
        result = page.evaluate("""async (options) => {
            const cred = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)});
            return {ok: true, response: cred.toJSON()};
        }""", options)
        # Back on the app's origin without loading the app (a reload abandons the ceremony by
        # design): the hostile client submits the other origin's assertion to the open challenge.
        page.goto(kb.origin + "/ping")
        before = business_snapshot()
        replies = send_events(page, kb.origin, [(f"{COUNTER}.finish_signing", {"result": result}, "来源")])
        assert "请求来源与系统地址不符" in replies
        assert business_snapshot() == before
        assert last_refusal() == "webauthn.bad_origin"
    finally:
        server.shutdown()


def _options_from_script(replies: str) -> dict:
    """The request options inside the call_script the server sent back (see state/webauthn_js.py)."""
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
    raise ValueError("no signing options in the replies")


def test_cloned_key_with_a_lower_counter_is_refused_and_suspended(approver_page):
    kb = approver_page
    page = kb.page
    page.goto(kb.origin + "/counter")
    accept_case(page)
    originals = kb.cdp.send("WebAuthn.getCredentials", {"authenticatorId": kb.authenticator})["credentials"]
    clone = kb.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    with transaction() as s:
        approver_key = s.exec(select(SecurityKey).where(SecurityKey.officer_id == 2)).one()
    approver_id = base64.b64encode(approver_key.credential_id).decode()
    for cred in originals:  # everything copied; the approver's credential with its counter reset
        cred = dict(cred)
        if cred["credentialId"] == approver_id:
            cred["signCount"] = 0
        kb.cdp.send("WebAuthn.addCredential", {"authenticatorId": clone, "credential": cred})
    kb.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": kb.authenticator})
    kb.authenticator = clone
    before = business_snapshot()
    sign_expecting_refusal(page, "疑似被复制")
    after = business_snapshot()
    assert after["Decision"] == before["Decision"] and after["cases"] == before["cases"]
    with transaction() as s:
        assert s.get(SecurityKey, approver_key.id).status == "suspect"
    # The next event ends the session that key opened; the admin is warned on the roster.
    page.goto(kb.origin + "/counter")
    page.wait_for_url("**/")
    sign_in(page, kb.origin, "A001", "/roster")
    page.wait_for_selector("#suspect-warning:has-text('张晓梅')")
