"""The real rule-level paths, driven with a software key: enrol, register, sign in, decide."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from app.db import transaction
from app.models import Item, Officer
from app.rules.counter import cases
from app.rules.counter import decisions
from app.rules.people import keys
from app.rules.people import sessions
from app.rules.people import stepup
from tests.softkey import SoftKey

VALID_ID = "11010519491231002X"
OPINION = "经审查，申请材料齐全、符合法定形式，符合该事项的各项受理条件，同意准予许可。"


def enroll_admin(staff_no: str = "A001") -> tuple[sessions.Principal, SoftKey]:
    link = keys.create_first_admin_link(staff_no, "王建国")
    token = parse_qs(urlsplit(link).query)["token"][0]
    challenge_id, options, _ = keys.begin_enrollment(token)
    key = SoftKey()
    keys.finish_enrollment(token, challenge_id, key.create(options))
    return sign_in(staff_no, key), key


# The HttpOnly cookie each signed-in "browser" holds, by session id (as app/http.py sets it).
COOKIES: dict[str, str] = {}


def sign_in(staff_no: str, key: SoftKey, client: str = "local") -> sessions.Principal:
    challenge_id, options = sessions.begin_sign_in(staff_no, client)
    principal = sessions.finish_sign_in(challenge_id, key.get(options))
    name, secret = sessions.bind(sessions.issue_bind_ticket(principal.session_id))
    COOKIES[principal.session_id] = f"{name}={secret}"
    return principal


def current(principal: sessions.Principal, role: str | None = None) -> sessions.Principal:
    """The session as the app checks it on every event: session id plus the browser's cookie."""
    return sessions.current(principal.session_id, role, cookie_header=COOKIES.get(principal.session_id, ""))


def officer_id(staff_no: str) -> int:
    with transaction() as s:
        return s.exec(select(Officer).where(Officer.staff_no == staff_no)).one().id


def item_id(code: str) -> int:
    with transaction() as s:
        return s.exec(select(Item).where(Item.code == code)).one().id


def step_up(admin: sessions.Principal, admin_key: SoftKey) -> None:
    challenge_id, options = stepup.begin(admin)
    stepup.finish(admin, challenge_id, admin_key.get(options))


def register_key(admin: sessions.Principal, admin_key: SoftKey, staff_no: str) -> SoftKey:
    step_up(admin, admin_key)
    challenge_id, options = keys.begin_key_registration(admin, officer_id(staff_no))
    key = SoftKey()
    keys.finish_key_registration(admin, challenge_id, key.create(options))
    return key


def accept_case(approver: sessions.Principal, code: str = "370303-SCZT-001"):
    item = item_id(code)
    with transaction() as s:
        n_materials = len(s.get(Item, item).materials)
    return cases.accept_new_case(approver, item, "淄博市张店区示例餐饮店", "居民身份证", VALID_ID,
                                 list(range(n_materials)), True)


def conditions(case) -> list[int]:
    with transaction() as s:
        return list(range(len(s.get(Item, case.item_id).conditions)))


def sign_case(approver: sessions.Principal, key: SoftKey, case):
    request = decisions.prepare(approver, case.id, conditions(case), OPINION)
    return decisions.complete(approver, request.challenge_id, key.get(request.options_json))


def business_snapshot() -> dict:
    """Everything a refused action must leave unchanged (the audit log gets its refusal record)."""
    from sqlmodel import func

    from app.models import (Authorization, Case, Decision, DocumentNumber, DocumentSequence, LoginSession,
                            SecurityKey)

    with transaction() as s:
        counts = {m.__name__: s.exec(select(func.count()).select_from(m)).one()
                  for m in (Case, Decision, DocumentNumber, Authorization, SecurityKey)}
        counts["cases"] = sorted((c.id, c.state) for c in s.exec(select(Case)))
        counts["keys"] = sorted((k.id, k.status, k.sign_count) for k in s.exec(select(SecurityKey)))
        counts["sequences"] = sorted((q.key, q.last) for q in s.exec(select(DocumentSequence)))
        counts["sessions"] = sorted((x.id, x.ended_at is None) for x in s.exec(select(LoginSession)))
    return counts


def assert_refused(fn, code: str, audited: bool = True):
    """fn is refused with `code`, changes nothing, and (if audited) leaves a refusal record."""
    import pytest

    from app.models import AuditEvent
    from app.rules.errors import Refused

    before = business_snapshot()
    with pytest.raises(Refused) as exc:
        fn()
    assert exc.value.code == code, exc.value
    assert exc.value.message  # a Chinese reason for the officer
    assert business_snapshot() == before
    if audited:
        with transaction() as s:
            last = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert last.action == "refused" and last.details["code"] == code, last
    return exc.value
