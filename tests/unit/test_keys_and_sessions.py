"""Sessions, sign-in limits, step-up for admin power, attestation policy, suspect keys."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import AuditEvent, Authorization, LoginSession, SecurityKey, SignInAttempt
from app.models.base import utcnow
from app.rules.people import keys
from app.rules.people import sessions
from app.rules.people import stepup
from app.rules.errors import Refused
from tests import flows
from tests.softkey import SoftKey, attestation_ca

MODEL = uuid.UUID("cb69481e-8ff7-4039-93ec-0a2729a154a8")


@pytest.fixture()
def admin(db):
    return flows.enroll_admin()


def _session_update(session_id: str, **values):
    with transaction() as s:
        row = s.get(LoginSession, session_id)
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)


def _refused_code(fn) -> str:
    with pytest.raises(Refused) as exc:
        fn()
    return exc.value.code


def test_idle_timeout_and_lifetime_end_the_session(admin):
    principal, key = admin
    _session_update(principal.session_id, last_seen_at=utcnow() - timedelta(minutes=16))
    assert _refused_code(lambda: flows.current(principal)) == "session.idle"
    assert _refused_code(lambda: flows.current(principal)) == "session.ended"
    again = flows.sign_in("A001", key)
    _session_update(again.session_id, created_at=utcnow() - timedelta(hours=10, minutes=1))
    assert _refused_code(lambda: flows.current(again)) == "session.lifetime"


def test_revoking_the_authorization_ends_the_approvers_session(admin):
    principal, admin_key = admin
    approver_key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", approver_key)
    assert flows.current(approver).officer_id == approver.officer_id
    with transaction() as s:
        auth = s.exec(select(Authorization).where(Authorization.officer_id == approver.officer_id)).one()
        auth.revoked_at, auth.revoke_reason = utcnow(), "调离"
        s.add(auth)
    assert _refused_code(lambda: flows.current(approver)) == "session.authorization_inactive"


def test_sign_in_is_rate_limited_per_client_and_per_officer_from_that_client(admin):
    _, key = admin
    stranger = SoftKey()
    for _ in range(5):
        challenge_id, options = sessions.begin_sign_in("A001", "client-1")
        with pytest.raises(Refused):
            sessions.finish_sign_in(challenge_id, stranger.get(options))
    flows.assert_refused(lambda: sessions.begin_sign_in("A001", "client-1"), "signin.rate_limited")
    # The officer, holding the key, still signs in from another client.
    assert flows.sign_in("A001", key, client="client-2").staff_no == "A001"
    for i in range(20):  # guessing staff numbers from one client
        with pytest.raises(Refused):
            sessions.begin_sign_in(f"X{i:03d}", "client-3")
    flows.assert_refused(lambda: sessions.begin_sign_in("S001", "client-3"), "signin.rate_limited")


def test_a_hundred_forged_answers_from_one_client_do_not_lock_the_officer_out(admin):
    """Issue 7.5: whoever lacks the officer's key cannot stop the officer signing in elsewhere."""
    _, key = admin
    stranger = SoftKey()
    refusals = set()
    for _ in range(100):
        try:
            challenge_id, options = sessions.begin_sign_in("A001", "203.0.113.9")
            sessions.finish_sign_in(challenge_id, stranger.get(options))
        except Refused as exc:
            refusals.add(exc.code)
    assert refusals == {"signin.key_inactive", "signin.rate_limited"}
    assert flows.sign_in("A001", key, client="198.51.100.7").staff_no == "A001"
    with transaction() as s:  # the flood left a bounded trail: at most 5 failure rows from that client
        rows = s.exec(select(SignInAttempt).where(SignInAttempt.client == "203.0.113.9")).all()
        refused_rows = s.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert len(rows) == 5
    assert len(refused_rows) <= 10


def test_unknown_staff_number_and_no_key_get_the_same_answer(admin):
    unknown = flows.assert_refused(lambda: sessions.begin_sign_in("Z999"), "signin.unavailable")
    no_key = flows.assert_refused(lambda: sessions.begin_sign_in("S002"), "signin.unavailable")
    assert unknown.message == no_key.message


def test_admin_power_needs_a_fresh_step_up_recorded_in_the_audit_event(admin):
    principal, admin_key = admin
    approver_key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", approver_key)
    _session_update(principal.session_id, stepped_up_at=utcnow() - timedelta(minutes=6))
    flows.assert_refused(lambda: keys.revoke_key(principal, approver.key_id, "遗失"), "stepup.required")
    flows.step_up(principal, admin_key)
    keys.revoke_key(principal, approver.key_id, "遗失")
    with transaction() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "key.revoked")).one()
    assert event.details["step_up_key_id"] == principal.key_id and event.details["step_up_at"]


def test_step_up_is_bound_to_the_session_and_the_officers_own_key(admin):
    principal, admin_key = admin
    challenge_id, options = stepup.begin(principal)
    flows.assert_refused(lambda: stepup.finish(principal, challenge_id, SoftKey().get(options)), "key.inactive")


def test_revoke_needs_a_reason(admin):
    principal, admin_key = admin
    flows.step_up(principal, admin_key)
    flows.assert_refused(lambda: keys.revoke_key(principal, principal.key_id, "  "), "input.reason_missing",
                         audited=False)


def _policy(admin_principal, admin_key, root_pem):
    flows.step_up(admin_principal, admin_key)
    keys.set_attestation_policy(admin_principal, [str(MODEL)], {str(MODEL): [root_pem]}, "仅允许统一采购型号")


def _register(admin_principal, **attestation):
    challenge_id, options = keys.begin_key_registration(admin_principal, flows.officer_id("S001"))
    assert '"attestation": "direct"' in options or '"attestation":"direct"' in options
    return lambda: keys.finish_key_registration(admin_principal, challenge_id,
                                                SoftKey().create(options, **attestation))


def test_self_attestation_claiming_an_allowed_model_is_refused(admin):
    principal, admin_key = admin
    root_pem, _ = attestation_ca(MODEL.bytes)
    _policy(principal, admin_key, root_pem)
    flows.assert_refused(_register(principal, aaguid=MODEL.bytes, attestation="self"), "attestation.self")
    flows.assert_refused(_register(principal, aaguid=MODEL.bytes, attestation="none"), "attestation.none")


def test_attestation_must_chain_to_the_root_pinned_for_the_model(admin):
    principal, admin_key = admin
    root_pem, batch = attestation_ca(MODEL.bytes)
    _, other_batch = attestation_ca(MODEL.bytes, "Counterfeit Vendor")
    _policy(principal, admin_key, root_pem)
    flows.assert_refused(_register(principal, aaguid=MODEL.bytes, attestation="packed", batch=other_batch),
                         "attestation.untrusted")
    flows.assert_refused(_register(principal, aaguid=uuid.uuid4().bytes, attestation="packed", batch=batch),
                         "attestation.model_not_allowed")
    key = _register(principal, aaguid=MODEL.bytes, attestation="packed", batch=batch)()
    assert key.aaguid == str(MODEL) and key.attestation_format == "packed" and key.attestation_object


def test_default_policy_accepts_any_key_and_records_the_model(admin):
    principal, admin_key = admin
    key = flows.register_key(principal, admin_key, "S001")
    with transaction() as s:
        stored = s.exec(select(SecurityKey).where(SecurityKey.credential_id == key.credential_id)).one()
    assert stored.aaguid == str(uuid.UUID(int=0)) and stored.attestation_format == "none"


def test_suspect_key_is_cleared_only_by_an_admin_with_step_up(admin):
    principal, admin_key = admin
    approver_key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", approver_key)
    approver_key.counter = 0
    challenge_id, options = sessions.begin_sign_in("S001", "c")
    assert _refused_code(lambda: sessions.finish_sign_in(challenge_id, approver_key.get(options))) \
        == "key.sign_count_regression"  # and the key is now suspect
    flows.assert_refused(lambda: keys.clear_suspect(approver, approver.key_id, "我自己解除"), "role.denied",
                         audited=False)
    _session_update(principal.session_id, stepped_up_at=None)
    flows.assert_refused(lambda: keys.clear_suspect(principal, approver.key_id, "核查无误"), "stepup.required")
    flows.step_up(principal, admin_key)
    keys.clear_suspect(principal, approver.key_id, "核查：密钥从未离身，计数器因测试重置")
    with transaction() as s:
        assert s.get(SecurityKey, approver.key_id).status == "active"
