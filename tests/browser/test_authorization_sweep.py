"""Every public event handler of every state, sent by a hostile client as an anonymous visitor and
as each signed-in role that should not use it, with arbitrary and malformed arguments: nothing
changes in the database and nothing private comes back. Handlers are enumerated from Reflex's
state registry, so a new handler is swept without editing this test."""

from __future__ import annotations

import inspect
import os

import pytest
from fido2.utils import websafe_encode
from sqlmodel import select

from app.db import transaction
from app.models import LoginSession, Officer, SecurityKey, WebAuthnChallenge
from app.rules.people.roles import ADMIN, APPROVER, AUDITOR
from app.state.audits import AuditsState
from app.state.auth import AuthState
from app.state.calendar import CalendarState
from app.state.catalog import CatalogState
from app.state.counter import CounterState
from app.state.item import ItemState
from app.state.officer import OfficerState
from app.state.enroll import EnrollState
from app.state.roster import RosterState
from app.state.assessments import AssessmentsState
from app.state.dashboard import DashboardState
from app.state.publicity import PublicityState
from app.state.responsibility import ResponsibilityState
from app.state.settings import SettingsState
from app.state.supervision import SupervisionState
from app.state.visits import VisitsState
from app.state.spot_checks import RectificationState, SpotCheckState
from app.state.verify import VerifyState
from tests.browser.hostile import send_events
from tests.browser.steps import accept_case, enroll_first_admin, register_key_for, review_and_sign, sign_in, sign_out
from tests.flows import VALID_ID, business_snapshot

pytestmark = pytest.mark.browser
HOSTILE = True  # Reflex's own setvar / frontend-exception handlers fail on the malformed events

# Which role a page state's handlers are for; handlers of other states are open to everyone
# (sign-in, enrolment by one-time link) and must be harmless with any arguments.
ROLE_OF_STATE = {CounterState: APPROVER, RosterState: ADMIN, AuditsState: AUDITOR, CatalogState: ADMIN,
                 ItemState: ADMIN, OfficerState: ADMIN, CalendarState: ADMIN, SettingsState: ADMIN}
ROLE_OF_STATE.update({SpotCheckState: AUDITOR, RectificationState: APPROVER, PublicityState: ADMIN,
                      SupervisionState: ADMIN, VisitsState: AUDITOR, AssessmentsState: ADMIN, DashboardState: AUDITOR,
                      ResponsibilityState: AUDITOR})
# Reflex's page-load plumbing and the officer's own sign-out are legitimate for every client.
NOT_SWEPT = {"hydrate", "hydrate_and_load", "on_load_internal", "set_is_hydrated", "sign_out"}
MALFORMED = [None, {"evil": {"$ne": 1}}, "1", ["1", 2], 10 ** 20, "../../../etc/passwd", "' OR 1=1 --"]
FORM = {"staff_no": "S001", "key_id": "1", "reason": "x", "applicant_name": "某某", "id_type": "居民身份证",
        "id_number": VALID_ID, "no_conflict": "on", "material-0": "on", "material-1": "on", "material-2": "on",
        "condition-0": "on", "condition-1": "on", "condition-2": "on", "aaguid": "00000000-0000-0000-0000-000000000000",
        "root_pem": "x", "mode": "any"}


def _states():
    import app.pages  # noqa: F401  (every page's state registered, so none escapes the sweep)
    from reflex.state import State

    def walk(cls):
        yield cls
        for sub in cls.get_substates():
            yield from walk(sub)

    return list(walk(State))


def _events(roles: tuple[str, ...]) -> list[tuple[str, dict, None]]:
    events = []
    for state in _states():
        role = next((r for cls, r in ROLE_OF_STATE.items() if issubclass(state, cls)), None)
        if role is not None and role in roles:
            continue  # the officer's own work
        for name, handler in state.event_handlers.items():
            if name in NOT_SWEPT:
                continue
            params = [p for p in inspect.signature(handler.fn).parameters if p != "self"]
            full = f"{state.get_full_name()}.{name}"
            if name == "setvar":
                for var, value in (("case_id", 1), ("roles", [ADMIN]), ("_session_id", "forged"), ("staff_no", "A001")):
                    events.append((full, {"var_name": var, "value": value}, None))
                continue
            if name == "update_vars_internal":
                events.append((full, {"vars": {f"{AuthState.get_full_name()}._session_id": "forged",
                                               f"{AuthState.get_full_name()}.roles": [ADMIN]}}, None))
                continue
            for value in MALFORMED + [FORM]:
                events.append((full, {p: value for p in params}, None))
    return events


def _secrets() -> list[str]:
    """Values that must never reach a browser: session ids, challenge handles, user handles, stored
    public keys, applicant ID numbers. (Credential ids are not secret in WebAuthn: sign-in sends
    them as allowCredentials to whoever names the staff number.)"""
    with transaction() as s:
        values = [x.id for x in s.exec(select(LoginSession))] + [c.id for c in s.exec(select(WebAuthnChallenge))]
        values += [websafe_encode(k.credential_data) for k in s.exec(select(SecurityKey))]
        values += [o.user_handle for o in s.exec(select(Officer))]
    return values + [VALID_ID]


@pytest.fixture(scope="module", autouse=True)
def _client_limit_off():
    """Every request here comes from 127.0.0.1: the per-client sign-in limit would lock the test
    out after the anonymous sweep (the per-officer limit stays on)."""
    os.environ["APP_SIGNIN_MAX_FAILURES_PER_CLIENT"] = "100000"
    yield
    del os.environ["APP_SIGNIN_MAX_FAILURES_PER_CLIENT"]


@pytest.fixture(scope="module")
def world(key_browser):
    """Keys for A001 (admin, auditor), S001 (approver), P001 (auditor); one signed decision."""
    page, origin = key_browser.page, key_browser.origin
    enroll_first_admin(page, origin)
    sign_in(page, origin, "A001", "/roster")
    register_key_for(page, "S001")
    register_key_for(page, "P001")
    sign_out(page)
    sign_in(page, origin, "S001", "/counter")
    accept_case(page)
    review_and_sign(page)
    page.wait_for_selector("#signed-number", timeout=60000)
    sign_out(page)
    return key_browser


def _sweep(kb, roles: tuple[str, ...], expected_refusal: str) -> None:
    before = business_snapshot()
    replies = send_events(kb.page, kb.origin, _events(roles), quiet_ms=3000)
    assert expected_refusal in replies  # the events were processed, and refused
    assert business_snapshot() == before
    leaked = [s for s in _secrets() if s and s in replies]
    assert not leaked, f"private values in the replies: {leaked}"


@pytest.mark.parametrize("staff_no, lands_on, roles, refusal", [
    (None, None, (), "请先使用安全密钥登录"),
    ("S001", "/counter", (APPROVER,), "此功能仅限工作组管理员"),
    ("P001", "/audits", (AUDITOR,), "此功能仅限独立审批员"),
    ("A001", "/roster", (ADMIN, AUDITOR), "此功能仅限独立审批员"),
])
def test_handlers_refuse_what_the_caller_may_not_do(world, staff_no, lands_on, roles, refusal):
    kb = world
    if staff_no:
        sign_in(kb.page, kb.origin, staff_no, lands_on)
    else:
        kb.page.goto(kb.origin + "/")
        kb.page.wait_for_selector("#staff-no")
    _sweep(kb, roles, refusal)
    kb.page.goto(kb.origin + (lands_on or "/"))
    if staff_no:  # still the same officer with the same rights: nothing was forged
        kb.page.wait_for_selector(f"text={staff_no}")
        sign_out(kb.page)


def test_every_state_is_covered():
    """A new page state must say which role it serves (or be deliberately open)."""
    ours = [s for s in _states() if s.__module__.startswith("app.")]
    open_states = {AuthState, EnrollState, VerifyState}  # sign-in, one-time link, public verification
    assert {s for s in ours if s not in open_states} == set(ROLE_OF_STATE)


def test_no_custom_http_routes():
    """The app adds no HTTP routes but the two of app/http.py: the session-cookie exchange and the
    one-time export link (both tested in test_hostile_http.py); PDFs go through authorized events.
    If one is added, it must be swept here like the event handlers."""
    from app.app import app
    from app.http import BIND_PATH, EXPORT_PREFIX, security_layer

    paths = {getattr(r, "path", None) for r in app._api.routes} if app._api else set()
    assert paths <= {"/_event", "/ping", "/_health", "/_all_routes", "/auth-codespace"}, paths
    assert app.api_transformer is security_layer and BIND_PATH == "/api/session"
    assert EXPORT_PREFIX == "/api/exports/"


def test_frontend_bundle_holds_nothing_private(world):
    """The production build the server is serving: no secret, no challenge, no seeded private
    value, and no backend variable."""
    from app.config import PROJECT_ROOT, settings

    build = PROJECT_ROOT / ".web" / "build" / "client"
    files = [p for p in build.rglob("*") if p.is_file()]
    assert any(p.suffix == ".js" for p in files)
    bundle = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)
    private = _secrets() + [(settings.data_dir / "personal-data.key").read_text().strip()]
    backend_vars = [f"{name}_rx_state_" for state in _states() if state.__module__.startswith("app.")
                    for name in state.__dict__.get("__annotations__", {})
                    if name.startswith("_") and not name.startswith("__")]
    assert "_session_id_rx_state_" in backend_vars and "staff_no_rx_state_" in bundle  # how vars are named there
    leaked = [v for v in private + backend_vars if v and v in bundle]
    assert not leaked, leaked
