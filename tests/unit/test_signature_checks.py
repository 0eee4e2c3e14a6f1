"""SPEC §5, one bad input each: a clear refusal, nothing stored, the refusal on the audit record.
(Browser-produced bad assertions are in tests/browser/test_bad_assertions.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import Authorization, Case, Decision, Item, SecurityKey, WebAuthnChallenge
from app.models.base import utcnow
from app.rules.calendar import clock
from app.rules.counter import decisions
from tests import flows


@pytest.fixture()
def desk(db):
    """An admin, an approver with a key, and a case prepared for signing."""
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
    return {"admin": admin, "admin_key": admin_key, "approver": approver, "key": key, "case": case,
            "request": request}


def complete(desk, **assertion):
    request = desk["request"]
    return lambda: decisions.complete(desk["approver"], request.challenge_id,
                                      desk["key"].get(request.options_json, **assertion))


def _authorization(desk) -> Authorization:
    with transaction() as s:
        return s.exec(select(Authorization).where(Authorization.officer_id == desk["approver"].officer_id)).one()


def _update(model, row_id, **values):
    with transaction() as s:
        row = s.get(model, row_id)
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def test_valid_signature_is_stored(desk):
    decision = complete(desk)()
    assert decision.case_id == desk["case"].id


def test_missing_user_presence(desk):
    flows.assert_refused(complete(desk, flags=0x04), "webauthn.no_user_presence")


def test_expired_authorization(desk):
    auth = _authorization(desk)
    _update(Authorization, auth.id, valid_until=clock.today() - timedelta(days=1))
    flows.assert_refused(complete(desk), "authorization.inactive")


def test_revoked_authorization(desk):
    auth = _authorization(desk)
    _update(Authorization, auth.id, revoked_at=utcnow(), revoke_reason="退出")
    flows.assert_refused(complete(desk), "authorization.inactive")


def test_authorization_scope_changed_after_key_binding(desk):
    auth = _authorization(desk)
    _update(Authorization, auth.id, scope_categories=["SCZT", "WHLY"])
    flows.assert_refused(complete(desk), "key.scope_changed")


def test_exclusion_flag_set_after_key_registration(desk):
    _update(Item, desk["case"].item_id, excl_hearing=True)
    err = flows.assert_refused(complete(desk), "item.excluded")
    assert "听证" in err.message


def test_case_not_signable(desk):
    _update(Case, desk["case"].id, state="transferred")
    flows.assert_refused(complete(desk), "case.not_signable")


def test_payload_digest_different_from_issued(desk):
    with transaction() as s:
        row = s.get(WebAuthnChallenge, desk["request"].challenge_id)
        context = dict(row.context)
        context["payload"] = context["payload"].replace("准予", "不予", 1)
        row.context = context
        s.add(row)
    flows.assert_refused(complete(desk), "payload.digest_mismatch")


def test_expired_challenge(desk):
    _update(WebAuthnChallenge, desk["request"].challenge_id, expires_at=utcnow() - timedelta(seconds=1))
    flows.assert_refused(complete(desk), "challenge.expired")


def test_challenge_of_another_officer(desk):
    admin = desk["admin"]
    request = desk["request"]
    flows.assert_refused(lambda: decisions.complete(admin, request.challenge_id,
                                                    desk["key"].get(request.options_json)), "challenge.unknown")


def test_document_number_already_used(desk):
    """A 文号 that reached another decision (say, an imported record) is never issued twice."""
    first = complete(desk)()
    other = flows.accept_case(desk["approver"])
    request = decisions.prepare(desk["approver"], other.id, flows.conditions(other), flows.OPINION)
    imported = flows.accept_case(desk["approver"])
    with transaction() as s:
        clash = Decision(**{**first.model_dump(exclude={"id"}), "case_id": imported.id,
                            "document_number": request.document_number, "verification_code": "IMPORTED"})
        s.add(clash)
    flows.assert_refused(lambda: decisions.complete(desk["approver"], request.challenge_id,
                                                    desk["key"].get(request.options_json)), "decision.number_used")


def test_revoked_key_mid_signing(desk):
    flows.step_up(desk["admin"], desk["admin_key"])
    from app.rules.people import keys

    keys.revoke_key(desk["admin"], desk["approver"].key_id, "密钥遗失")
    flows.assert_refused(complete(desk), "key.inactive")


def test_assertion_from_an_unregistered_key(desk):
    from tests.softkey import SoftKey

    stranger = SoftKey()
    request = desk["request"]
    flows.assert_refused(lambda: decisions.complete(desk["approver"], request.challenge_id,
                                                    stranger.get(request.options_json)), "key.mismatch")


def test_malformed_response(desk):
    for bad in (None, "x", {"id": 1}, {"response": {}}, [1, 2]):
        flows.assert_refused(lambda: decisions.complete(desk["approver"], desk["request"].challenge_id, bad),
                             "webauthn.malformed")


def test_suspect_key_can_neither_sign_nor_sign_in(desk):
    _update(SecurityKey, desk["approver"].key_id, status="suspect")
    flows.assert_refused(complete(desk), "key.inactive")
    from app.rules.people import sessions

    flows.assert_refused(lambda: sessions.begin_sign_in("S001", "test-client"), "signin.unavailable")


def test_nothing_is_stored_when_evidence_cannot_be_embedded(desk, monkeypatch):
    """All or nothing: a failure after verification leaves no decision and the counter unchanged."""
    def broken(*_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(decisions, "attach_evidence", broken)
    before = flows.business_snapshot()
    with pytest.raises(RuntimeError):
        complete(desk)()
    assert flows.business_snapshot() == before
    with transaction() as s:
        assert s.exec(select(Decision)).all() == []
