"""Issue 7, against the production server over real HTTP and websockets: security headers, the
session cookie a stolen tab token lacks, and per-client limits behind a trusted proxy."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from sqlmodel import select

from app.config import PROJECT_ROOT
from app.db import transaction
from app.models import SignInAttempt
from app.state.auth import AuthState
from app.state.roster import RosterState
from tests.browser import rawsocket
from tests.browser.steps import enroll_first_admin, sign_in, sign_out

pytestmark = pytest.mark.browser
HOSTILE = True  # Reflex's own handlers reject some of the raw events


def _request(url: str, method: str = "GET", headers: dict | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


@pytest.mark.parametrize("path", ["/", "/verify", "/counter", "/ping", "/no-such-page", "/api/session",
                                  "/api/exports/" + "A" * 43])
def test_every_response_carries_the_security_headers(app_server, path):
    status, headers = _request(app_server + path)
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'", (path, status)
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_the_session_endpoint_gives_no_cookie_without_a_valid_ticket_and_origin(app_server):
    for method, headers, body in (("GET", {}, None), ("POST", {"Origin": "http://evil.example"}, b"x" * 43),
                                  ("POST", {"Origin": app_server}, b"not-a-ticket-but-long-enough-to-look-like"),
                                  ("POST", {"Origin": app_server}, b"x" * 10_000)):
        status, response_headers = _request(app_server + "/api/session", method, headers, body)
        assert status == 403 and "Set-Cookie" not in response_headers


def test_the_export_endpoint_hands_over_nothing_without_a_live_one_time_link_and_the_cookie(app_server):
    """GET /api/exports/<token> (app/http.py): a forged, malformed or traversing token, another
    method, a cookie of no session: 403, no file, no cookie set (the valid paths: unit
    test_http_export_route_streams_once_with_the_cookie_only, browser test_audit_search.py)."""
    for method, path, headers in (("GET", "A" * 43, {}), ("GET", "A" * 43, {"Cookie": "zd_session_0123456789abcdef=x"}),
                                  ("GET", "..%2F..%2Fapp.db", {}), ("GET", "", {}), ("POST", "A" * 43, {}),
                                  ("GET", "A" * 5000, {})):
        status, response_headers = _request(app_server + "/api/exports/" + path, method, headers)
        assert status == 403 and "Set-Cookie" not in response_headers, (method, path)
        assert response_headers["Content-Type"].startswith("text/html") and response_headers["Cache-Control"] == "no-store"


def _roster_load() -> tuple[str, dict]:
    return f"{RosterState.get_full_name()}.load", {}


def test_a_stolen_tab_token_without_the_cookie_resumes_nothing(key_browser, app_server):
    page = key_browser.page
    enroll_first_admin(page, app_server)
    sign_in(page, app_server, "A001", "/roster")
    page.wait_for_selector("text=张晓梅")
    token = page.evaluate("window.sessionStorage.getItem('token')")
    cookies = key_browser.context.cookies()
    assert any(c["name"].startswith("zd_session_") and c["httpOnly"] for c in cookies)
    page.goto(app_server + "/ping")  # the tab closes; its token is all the thief has
    stolen = rawsocket.send(app_server, token, [_roster_load()])
    assert "本浏览器没有该登录的凭据" in stolen and "张晓梅" not in stolen
    # The same token with the browser's cookie is the officer (the cookie is what was missing) …
    jar = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    assert "张晓梅" in rawsocket.send(app_server, token, [_roster_load()], headers={"Cookie": jar})
    # … and the thief's attempt did not sign the officer's tab out.
    page.goto(app_server + "/roster")
    page.wait_for_selector("text=张晓梅")
    sign_out(page)
    # Tab state (session ids, applicant names) never went to disk: memory with one worker, else Redis.
    states = PROJECT_ROOT / ".states"
    assert not any(p.is_file() for p in states.rglob("*")) if states.exists() else True


def _forged_sign_in_attempts(origin: str, forwarded_for: str, n: int) -> None:
    begin = f"{AuthState.get_full_name()}.begin_sign_in"
    finish = f"{AuthState.get_full_name()}.finish_sign_in"
    forged = {"ok": True, "response": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {
        "clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"}}}
    events = []
    for _ in range(n):
        events += [(begin, {"form_data": {"staff_no": "A001"}}), (finish, {"result": forged})]
    rawsocket.send(origin, "forged-attacker-token", events, headers={"X-Forwarded-For": forwarded_for},
                   quiet_seconds=0.3)


def test_a_hundred_forged_sign_ins_from_one_address_do_not_lock_the_officer_out(key_browser, app_server):
    """Behind one trusted proxy hop (REFLEX_TRUSTED_PROXY_HOPS=1, as the browser tests serve the
    app), the limit counts the address the proxy reports, not the proxy's own."""
    _forged_sign_in_attempts(app_server, "203.0.113.77", 100)
    with transaction() as s:
        attempts = s.exec(select(SignInAttempt).where(SignInAttempt.client == "203.0.113.77")).all()
    assert 1 <= len(attempts) <= 20 and not any(a.ok for a in attempts)
    sign_in(key_browser.page, app_server, "A001", "/roster")  # the officer, from another address
    with transaction() as s:
        ok = s.exec(select(SignInAttempt).where(SignInAttempt.ok == True)).all()  # noqa: E712
    assert ok and ok[-1].client != "203.0.113.77"
    sign_out(key_browser.page)
