"""One decision end to end at rule level, and the refusals of the signing path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlmodel import func, select

from app.db import transaction
from app.models import AuditEvent, Case, Decision, Item, SecurityKey
from app.rules import audit
from app.rules.counter import decisions
from app.rules.errors import Refused
from app.signing import pki
from app.signing.evidence import extract_evidence, verify_evidence
from tests import flows


@pytest.fixture()
def people(db):
    admin, admin_key = flows.enroll_admin()
    approver_key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", approver_key)
    return (admin, admin_key), approver, approver_key


def count(model) -> int:
    with transaction() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_signed_decision_verifies_offline(people, tmp_path):
    _, approver, key = people
    case = flows.accept_case(approver)
    decision = flows.sign_case(approver, key, case)
    assert decision.document_number.startswith("张行审许字〔") and decision.document_number.endswith("〕1号")
    pdf = decisions.read_pdf(decision)
    checks = verify_evidence(pdf, extract_evidence(pdf))
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    path, root = tmp_path / "d.pdf", pki.pki_dir() / pki.ROOT_FILE
    path.write_bytes(pdf)
    ok = subprocess.run([sys.executable, "-m", "app.signing.verify", str(path), "--root", str(root)],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout.startswith("有效：") and "张晓梅（工号 S001）" in ok.stdout
    # Without the root the file proves its integrity, not its signer: exit 1, no approver named.
    unrooted = subprocess.run([sys.executable, "-m", "app.signing.verify", str(path)], capture_output=True, text=True)
    assert unrooted.returncode == 1 and "张晓梅（工号" not in unrooted.stdout and "未提供本局根证书" in unrooted.stdout
    # One changed byte in the rendered decision (the signed document) is caught.
    tampered = bytearray(pdf)
    tampered[len(pdf) // 4] ^= 0x01
    path.write_bytes(bytes(tampered))
    bad = subprocess.run([sys.executable, "-m", "app.signing.verify", str(path), "--root", str(root)],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    with transaction() as s:
        assert s.get(Case, case.id).state == "decided"
        assert audit.verify_chain(s) == (True, None)


def test_changed_payload_in_evidence_fails(people):
    _, approver, key = people
    decision = flows.sign_case(approver, key, flows.accept_case(approver))
    pdf = decisions.read_pdf(decision)
    evidence = extract_evidence(pdf)
    evidence["payload"] = evidence["payload"].replace("淄博市张店区示例餐饮店", "淄博市张店区别的餐饮店")
    failed = {c.name for c in verify_evidence(pdf, evidence) if not c.ok}
    assert "决定内容摘要" in failed and "挑战值 = 决定内容摘要 ‖ 随机数" in failed


def test_document_numbers_are_sequential(people):
    _, approver, key = people
    numbers = [flows.sign_case(approver, key, flows.accept_case(approver)).document_number for _ in range(3)]
    assert [n.split("〕")[1] for n in numbers] == ["1号", "2号", "3号"]


_refused_without_change = flows.assert_refused


def test_reused_challenge_is_refused(people):
    _, approver, key = people
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
    response = key.get(request.options_json)
    decisions.complete(approver, request.challenge_id, response)
    _refused_without_change(lambda: decisions.complete(approver, request.challenge_id, response), "challenge.reused")


def test_bad_signature_and_missing_uv_are_refused(people):
    _, approver, key = people
    case = flows.accept_case(approver)
    for kwargs, code in [({"bogus": True}, "webauthn.bad_signature"),
                         ({"flags": 0x01}, "webauthn.no_user_verification"),
                         ({"origin": "http://localhost:1"}, "webauthn.bad_origin")]:
        request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
        _refused_without_change(
            lambda: decisions.complete(approver, request.challenge_id, key.get(request.options_json, **kwargs)), code)


def test_sign_count_regression_marks_key_suspect(people):
    _, approver, key = people
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
    key.counter = 0  # a clone that starts over
    with pytest.raises(Refused) as exc:
        decisions.complete(approver, request.challenge_id, key.get(request.options_json))
    assert exc.value.code == "key.sign_count_regression"
    assert count(Decision) == 0
    with transaction() as s:
        assert s.get(SecurityKey, approver.key_id).status == "suspect"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "key.sign_count_regression")).first()


def test_revoked_key_stops_signing_and_session(people):
    from app.rules.people import keys
    from app.rules.people import sessions

    (admin, admin_key), approver, key = people
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
    flows.step_up(admin, admin_key)
    keys.revoke_key(admin, approver.key_id, "离岗")
    _refused_without_change(
        lambda: decisions.complete(approver, request.challenge_id, key.get(request.options_json)), "key.inactive")
    with pytest.raises(Refused) as exc:
        flows.current(approver)
    assert exc.value.code == "session.key_inactive"
    with transaction() as s:  # the public key stays for verifying old signatures
        stored = s.get(SecurityKey, approver.key_id)
        assert stored.credential_data and stored.revoke_reason == "离岗"


def test_payload_is_canonical_json(people):
    _, approver, key = people
    decision = flows.sign_case(approver, key, flows.accept_case(approver))
    parsed = json.loads(decision.payload)
    assert decision.payload == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_the_decision_uses_the_item_revision_accepted_not_todays(people):
    """Issue 9: the review checklist, wording and legal basis come from the revision in force at
    acceptance; a later catalog edit changes neither an open case's checklist nor its decision."""
    from app.rules.catalog import items as catalog

    (admin, _), approver, key = people
    case = flows.accept_case(approver)
    accepted_conditions = flows.conditions(case)
    with transaction() as s:
        item = s.get(Item, case.item_id)
        old_basis, old_conditions = item.legal_basis, list(item.conditions)
    catalog.update_item(admin, case.item_id, {"legal_basis": "《新的条例》第一条",
                                              "conditions": "\n".join(old_conditions + ["新增的条件"])}, "修订")
    request = decisions.prepare(approver, case.id, accepted_conditions, flows.OPINION)
    decision = decisions.complete(approver, request.challenge_id, key.get(request.options_json))
    payload = json.loads(decision.payload)
    assert payload["item"]["legal_basis"] == old_basis and payload["conditions_met"] == old_conditions
    assert payload["item"]["revision"] == case.item_revision


def test_a_refusal_is_signed_like_an_approval_with_its_reasons_and_own_series(people):
    """不予许可: reasons for each condition not met, the opinion, the refusal series of 文号; the
    number first reserved for an approval is voided, never given to another case."""
    from app.models import DocumentNumber
    from app.signing import proof
    from cryptography.hazmat.primitives.serialization import Encoding

    _, approver, key = people
    case = flows.accept_case(approver)
    all_met = flows.conditions(case)
    first = decisions.prepare(approver, case.id, all_met, flows.OPINION)  # the approver first meant to approve
    unmet = all_met[-1]
    flows.assert_refused(lambda: decisions.prepare(approver, case.id, all_met[:-1], "不同意"), "case.reason_missing",
                         audited=False)
    flows.assert_refused(lambda: decisions.prepare(approver, case.id, all_met, "  "), "input.reason_missing",
                         audited=False)
    request = decisions.prepare(approver, case.id, all_met[:-1], "经审查，经营场所不符合要求，不同意许可。",
                                {str(unmet): "现场照片显示经营场所与营业执照登记地址不一致"})
    assert request.document_number.startswith("张行审不许字〔") and request.document_number.endswith("〕1号")
    decision = decisions.complete(approver, request.challenge_id, key.get(request.options_json))
    payload = json.loads(decision.payload)
    assert decision.outcome == "refused" and payload["title"] == "不予行政许可决定书"
    assert payload["refusal_reasons"][0]["reason"] == "现场照片显示经营场所与营业执照登记地址不一致"
    assert payload["review_opinion"].startswith("经审查，经营场所")
    with transaction() as s:
        assert s.get(Case, case.id).outcome == "refused"
        voided = s.exec(select(DocumentNumber).where(DocumentNumber.number == first.document_number)).one()
    assert voided.voided_at is not None and "不予行政许可决定书" in voided.void_reason
    verdict = proof.check_file(decisions.read_pdf(decision), pki.bureau().root.public_bytes(Encoding.DER))
    assert verdict.valid and json.loads(verdict.payload)["outcome"] == "refused"
    # The voided number is never given to another case: the next approval takes the one after it.
    nxt = flows.sign_case(approver, key, flows.accept_case(approver))
    assert int(nxt.document_number.split("〕")[1][:-1]) == int(first.document_number.split("〕")[1][:-1]) + 1


def test_fifty_concurrent_reservations_across_document_types_leave_no_duplicate_and_no_gap(people):
    """50 cases reserve 文号 at once, half for approvals and half for refusals (issue 9): each series
    is 1…n without a duplicate or a hole, every number belongs to exactly one case."""
    import threading

    from app.config import settings
    from app.models import DocumentNumber
    from app.rules.counter import document_numbers

    _, approver, _ = people
    cases = [flows.accept_case(approver) for _ in range(50)]
    errors: list = []

    def reserve(i: int) -> None:
        outcome, pattern = (("approved", settings.doc_number_pattern) if i % 2 == 0
                            else ("refused", settings.refusal_number_pattern))
        for attempt in range(20):  # a busy database is a refusal the approver retries
            try:
                with transaction() as s:
                    document_numbers.reserve(s, pattern, 2026, cases[i].id, outcome)
                return
            except Refused as exc:
                if exc.code not in ("db.busy", "db.conflict"):
                    errors.append(exc)
                    return
        errors.append(f"case {i}: still busy")

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with transaction() as s:
        rows = s.exec(select(DocumentNumber)).all()
    for outcome in ("approved", "refused"):
        seqs = sorted(r.seq for r in rows if r.doc_type == outcome)
        assert seqs == list(range(1, 26)), (outcome, seqs)
    assert len({r.case_id for r in rows}) == 50 and len({r.number for r in rows}) == 50
