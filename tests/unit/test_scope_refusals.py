"""The key confines the approver: out-of-scope items are refused by the server, nothing stored."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import Case, Item
from app.models.base import utcnow
from app.rules import personal_data
from app.rules.counter import cases
from app.rules.counter import decisions
from app.rules.errors import Refused
from tests import flows


@pytest.fixture()
def approver(db):
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    return flows.sign_in("S001", key), key, (admin, admin_key)


def forged_case(principal, code: str) -> Case:
    """A case of an item outside the approver's scope, as a hostile client would need one."""
    with transaction() as s:
        item = s.exec(select(Item).where(Item.code == code)).one()
        case = Case(case_no=f"X{code}", item_id=item.id, item_revision=item.revision,
                    approver_id=principal.officer_id, applicant_name="某某", applicant_id_type="居民身份证",
                    applicant_id_encrypted=personal_data.encrypt(flows.VALID_ID), applicant_id_masked="x",
                    state="accepted", accepted_at=utcnow(), no_conflict_declared=True)
        s.add(case)
    return case


def test_out_of_scope_item_is_not_offered_nor_accepted(approver):
    principal, _, _ = approver
    offered = {i.code for i in cases.offered_items(principal)}
    assert offered == {"370303-SCZT-001"}  # SHSW is another category; SCZT-004 carries an exclusion flag
    for code, refusal in (("370303-SHSW-002", "scope.item_outside"), ("370303-SCZT-004", "item.not_independent")):
        flows.assert_refused(lambda: cases.accept_new_case(principal, flows.item_id(code), "某某", "居民身份证",
                                                           flows.VALID_ID, [0, 1, 2], True), refusal)


def test_signing_an_out_of_scope_case_is_refused_and_stores_nothing(approver):
    principal, key, _ = approver
    case = forged_case(principal, "370303-SHSW-002")
    flows.assert_refused(lambda: decisions.prepare(principal, case.id, [0, 1], flows.OPINION),
                         "scope.item_outside")


def test_item_taken_off_the_list_after_prepare_is_refused_at_complete(approver):
    principal, key, _ = approver
    case = flows.accept_case(principal)
    request = decisions.prepare(principal, case.id, flows.conditions(case), flows.OPINION)
    with transaction() as s:
        item = s.get(Item, case.item_id)
        item.independent = False
        s.add(item)
    flows.assert_refused(lambda: decisions.complete(principal, request.challenge_id, key.get(request.options_json)),
                         "item.not_independent")


def test_other_approvers_case_is_refused(approver):
    principal, _, (admin, admin_key) = approver
    other_key = flows.register_key(admin, admin_key, "S002")
    other = flows.sign_in("S002", other_key)
    case = flows.accept_case(principal)
    flows.assert_refused(lambda: decisions.prepare(other, case.id, flows.conditions(case), flows.OPINION), "case.not_own")


def test_wrong_role_is_refused_by_every_rule(approver):
    principal, _, (admin, _) = approver
    from app.rules.people import keys
    from app.rules.people import roster

    with pytest.raises(Refused):
        keys.revoke_key(principal, principal.key_id, "试图自行停用")
    with pytest.raises(Refused):
        roster.search(principal)
    with pytest.raises(Refused):
        decisions.all_decisions(principal)
    with pytest.raises(Refused):
        cases.offered_items(admin)


def test_case_number_takes_the_beijing_date(approver, monkeypatch):
    """Accepted at 00:38 Beijing time on 11-28 (16:38 UTC on 11-27): numbered SL20261128…"""
    from datetime import datetime, timezone

    monkeypatch.setattr(cases, "utcnow", lambda: datetime(2026, 11, 27, 16, 38, tzinfo=timezone.utc))
    principal, _, _ = approver
    assert flows.accept_case(principal).case_no.startswith("SL20261128")
