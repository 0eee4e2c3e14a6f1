"""Every way a case ends, at rule level: 补正 then 受理, 不予受理 (signed), 撤回, 转出 and routing,
回避, 延期 with step-up, deciding late, the permit's validity, and the time-limit display."""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from sqlmodel import select

from app.db import transaction
from app.models import Case, CaseEvent, CaseNotice, DocumentNumber, Item
from app.rules.counter import case_steps
from app.rules.counter import cases
from app.rules.calendar import clock
from app.rules.counter import decisions
from app.rules.counter import notices
from app.signing import pki, proof
from app.rules.refusals import AUDITED_PREFIXES
from app.rules.calendar.workdays import Calendar
from tests import flows

def refused(fn, code: str):
    """Refused with `code`, nothing changed; security refusals are also on the audit log."""
    return flows.assert_refused(fn, code, audited=code.startswith(AUDITED_PREFIXES))


APPLICANT = ("淄博市张店区示例餐饮店", "居民身份证", flows.VALID_ID)


@pytest.fixture()
def people(db):
    admin, admin_key = flows.enroll_admin()
    approver_key = flows.register_key(admin, admin_key, "S001")
    return (admin, admin_key), flows.sign_in("S001", approver_key), approver_key


def materials(code: str = "370303-SCZT-001") -> int:
    with transaction() as s:
        return len(s.get(Item, flows.item_id(code)).materials)


def root_der() -> bytes:
    return pki.bureau().root.public_bytes(Encoding.DER)


def notice_kinds(case_id: int) -> list[str]:
    with transaction() as s:
        return [n.kind for n in notices.notices_of(s, case_id)]


def test_correction_then_acceptance_then_approval(people):
    _, approver, key = people
    item = flows.item_id("370303-SCZT-001")
    n = materials()
    refused(lambda: cases.notify_correction(approver, item, *APPLICANT, list(range(n)), {}, True),
                         "case.nothing_to_correct")
    refused(lambda: cases.accept_new_case(approver, item, *APPLICANT, [0], True), "case.materials_missing")
    case = cases.notify_correction(approver, item, *APPLICANT, [0], {"0": "申请书未签字，请法定代表人签字"}, True)
    assert case.state == "awaiting_correction" and case.accepted_at is None and case.deadline is None
    listed = {c["material"]: c["need"] for c in case.correction}
    assert len(listed) == n  # the defective one and every missing one, at once
    assert "申请书未签字" in next(iter(listed.values()))
    assert all(c["need"] for c in case.correction)
    refused(lambda: decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION),
                         "case.not_signable")
    refused(lambda: cases.accept_corrected(approver, case.id, [0]), "case.materials_missing")
    accepted = cases.accept_corrected(approver, case.id, list(range(n)))
    assert accepted.state == "accepted" and accepted.deadline == clock.today()  # 当场办结: accepted that day
    refused(lambda: cases.accept_corrected(approver, case.id, list(range(n))),
                         "case.not_awaiting_correction")
    assert notice_kinds(case.id) == ["correction", "acceptance"]
    decision = flows.sign_case(approver, key, accepted)
    assert decision.outcome == "approved"
    with transaction() as s:
        kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))]
    assert kinds == ["received", "correction_notified", "accepted"]


def test_notices_render_with_their_content_once_and_only_for_those_who_may_see_them(people):
    (admin, _), approver, _ = people
    case = cases.notify_correction(approver, flows.item_id("370303-SCZT-001"), *APPLICANT, [0], {}, True)
    with transaction() as s:
        notice_id = notices.notices_of(s, case.id)[0].id
    name, pdf = notices.pdf(approver, notice_id)
    assert name == f"补正材料通知书-{case.case_no}.pdf" and pdf.startswith(b"%PDF")
    assert notices.pdf(admin, notice_id)[1] == pdf  # stored once, the same bytes every time
    other = flows.sign_in("S002", flows.register_key(*people[0], "S002"))
    refused(lambda: notices.pdf(other, notice_id), "notice.not_visible")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "补正材料通知书" in text and "一次性告知" in text and case.case_no in text


def test_not_accepted_is_signed_in_its_own_series_and_verifies(people):
    _, approver, key = people
    item = flows.item_id("370303-SCZT-001")
    refused(lambda: cases.register_not_accepted(approver, item, *APPLICANT, "bogus", "理由", True),
                         "case.not_accepted_category")
    refused(lambda: cases.register_not_accepted(approver, item, *APPLICANT, "not_organ", " ", True),
                         "input.reason_missing")
    case = cases.register_not_accepted(approver, item, *APPLICANT, "not_organ", "经营场所位于淄川区，应向淄川区申请", True)
    assert case.state == "received"
    request = decisions.prepare(approver, case.id, [], "经审查，申请事项不属于本机关管辖，不予受理。")
    assert request.document_number.startswith("张行审不受字〔") and request.document_number.endswith("〕1号")
    decision = decisions.complete(approver, request.challenge_id, key.get(request.options_json))
    payload = json.loads(decision.payload)
    assert decision.outcome == "not_accepted" and payload["title"] == "不予受理决定书"
    assert payload["accepted_at"] == "" and payload["conditions_met"] == []
    assert payload["refusal_reasons"] == [{"condition": "申请事项依法不属于本机关职权范围",
                                           "reason": "经营场所位于淄川区，应向淄川区申请"}]
    assert "第三十二条第一款第（二）项" in payload["decision_text"][1] and "行政复议" in payload["remedy"]
    with transaction() as s:
        assert s.get(Case, case.id).state == "not_accepted"
    verdict = proof.check_file(decisions.read_pdf(decision), root_der())
    assert verdict.valid, verdict.checks


def test_withdrawal_ends_the_case_with_a_confirmation(people):
    _, approver, _ = people
    case = flows.accept_case(approver)
    reserved = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION).document_number
    refused(lambda: case_steps.withdraw(approver, case.id, ""), "input.reason_missing")
    done = case_steps.withdraw(approver, case.id, "申请人书面申请撤回")
    assert done.state == "withdrawn" and done.closing_reason == "申请人书面申请撤回"
    assert notice_kinds(case.id) == ["acceptance", "withdrawal"]
    with transaction() as s:  # the number reserved when the key was first asked is voided, not reused
        number = s.exec(select(DocumentNumber).where(DocumentNumber.number == reserved)).one()
    assert number.voided_at is not None and "撤回" in number.void_reason
    refused(lambda: case_steps.withdraw(approver, case.id, "再撤一次"), "case.closed")
    refused(lambda: decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION),
                         "case.not_signable")


def test_transfer_out_then_routed_by_the_working_group(people):
    (admin, _), approver, _ = people
    case = flows.accept_case(approver)
    refused(lambda: case_steps.transfer_out(approver, case.id, "whim", "理由"), "case.transfer_category")
    refused(lambda: case_steps.route(admin, case.id, "市场科"), "case.not_transferred")
    moved = case_steps.transfer_out(approver, case.id, "interested_party", "相邻商户书面提出异议")
    assert moved.state == "transferred"
    assert notice_kinds(case.id)[-1] == "transfer"
    assert [c.id for c, _, _ in case_steps.transferred(admin)] == [case.id]
    refused(lambda: case_steps.transferred(approver), "role.denied")
    refused(lambda: case_steps.route(approver, case.id, "自己转"), "role.denied")
    routed = case_steps.route(admin, case.id, "转市场准入科按一般程序办理")
    assert routed.routed_at is not None
    refused(lambda: case_steps.route(admin, case.id, "再转"), "case.already_routed")


def test_recusal_hands_the_case_to_another_authorized_approver_who_declares_first(people):
    (admin, admin_key), approver, _ = people
    case = flows.accept_case(approver)
    assert case_steps.handover_candidates(approver, case.id) == []  # S003 has no key yet
    s003_key = flows.register_key(admin, admin_key, "S003")
    s002 = flows.sign_in("S002", flows.register_key(admin, admin_key, "S002"))
    assert [o.staff_no for o in case_steps.handover_candidates(approver, case.id)] == ["S003"]  # S002: not in scope
    refused(lambda: case_steps.hand_over(approver, case.id, flows.officer_id("S002"), "亲属关系"),
                         "case.handover_target")
    refused(lambda: case_steps.hand_over(approver, case.id, flows.officer_id("S003"), ""),
                         "input.reason_missing")
    case_steps.hand_over(approver, case.id, flows.officer_id("S003"), "申请人为本人近亲属")
    refused(lambda: case_steps.withdraw(approver, case.id, "已不是我的"), "case.not_own")
    refused(lambda: case_steps.withdraw(s002, case.id, "也不是我的"), "case.not_own")
    s003 = flows.sign_in("S003", s003_key)
    refused(lambda: decisions.prepare(s003, case.id, flows.conditions(case), flows.OPINION),
                         "case.conflict_not_declared")
    request = decisions.prepare(s003, case.id, flows.conditions(case), flows.OPINION, no_conflict=True)
    decision = decisions.complete(s003, request.challenge_id, s003_key.get(request.options_json))
    assert json.loads(decision.payload)["approver"]["staff_no"] == "S003"
    with transaction() as s:
        kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert "handed_over" in kinds and "conflict_declared" in kinds


def _accept_limited(approver) -> Case:
    """A 3-working-day item (民办非企业单位名称变更登记) is in S002's scope."""
    item = flows.item_id("370303-SHSW-002")
    return cases.accept_new_case(approver, item, *APPLICANT, list(range(materials("370303-SHSW-002"))), True)


def test_extension_needs_a_fresh_key_confirmation_once_at_most_ten_days(people):
    (admin, admin_key), _, _ = people
    s002 = flows.sign_in("S002", flows.register_key(admin, admin_key, "S002"))
    case = _accept_limited(s002)
    assert case.deadline == Calendar().add_workdays(clock.today(), 3)[0]
    refused(lambda: case_steps.extend(admin, case.id, 11, "负责人批准"), "case.extension_days")
    refused(lambda: case_steps.extend(s002, case.id, 5, "自己延"), "role.denied")
    admin = flows.sign_in("A001", admin_key)  # a new session: no step-up yet
    refused(lambda: case_steps.extend(admin, case.id, 5, "负责人批准"), "stepup.required")
    flows.step_up(admin, admin_key)
    extended = case_steps.extend(admin, case.id, 5, "需补充核实，经负责人批准")
    assert extended.deadline == Calendar().add_workdays(case.deadline, 5)[0]
    refused(lambda: case_steps.extend(admin, case.id, 2, "再延"), "case.already_extended")
    with transaction() as s:
        event = s.exec(select(CaseEvent).where(CaseEvent.kind == "extended")).one()
    assert event.details["old_deadline"] == case.deadline.isoformat() and event.details["step_up_key_id"]


def _set_deadline(case_id: int, deadline: date) -> None:
    with transaction() as s:
        case = s.get(Case, case_id)
        case.deadline = deadline
        s.add(case)


def test_deciding_after_the_deadline_needs_a_reason_and_flags_the_case(people):
    (admin, admin_key), _, _ = people
    key = flows.register_key(admin, admin_key, "S002")
    s002 = flows.sign_in("S002", key)
    case = _accept_limited(s002)
    _set_deadline(case.id, clock.today() - timedelta(days=3))
    with transaction() as s:
        shown = case_steps.timing(s, s.get(Case, case.id), cases.accepted_item(s, case))
    assert shown["overdue"] and shown["text"].startswith("已逾期")
    assert [c.id for c, _, _, _ in case_steps.overdue_and_due(admin)] == [case.id]
    conditions = flows.conditions(case)
    refused(lambda: decisions.prepare(s002, case.id, conditions, flows.OPINION), "input.reason_missing")
    request = decisions.prepare(s002, case.id, conditions, flows.OPINION, late_reason="申请人补充说明材料延误")
    decisions.complete(s002, request.challenge_id, key.get(request.options_json))
    with transaction() as s:
        done = s.get(Case, case.id)
        late = s.exec(select(CaseEvent).where(CaseEvent.kind == "decided_late")).one()
    assert done.late_reason == "申请人补充说明材料延误" and late.details["reason"] == done.late_reason
    assert case_steps.overdue_and_due(admin) == []


def test_time_limit_display(people):
    (admin, admin_key), approver, _ = people
    spot = flows.accept_case(approver)
    with transaction() as s:
        assert case_steps.timing(s, s.get(Case, spot.id), cases.accepted_item(s, spot))["text"].startswith(
            "当场办结·已用时 0 分钟")
    s002 = flows.sign_in("S002", flows.register_key(admin, admin_key, "S002"))
    limited = _accept_limited(s002)
    with transaction() as s:
        assert case_steps.timing(s, s.get(Case, limited.id), cases.accepted_item(s, limited))["text"] == "剩余 3 个工作日"


def test_working_days_between_across_the_national_day_holiday():
    calendar = Calendar()
    assert calendar.workdays_between(date(2026, 9, 30), date(2026, 10, 9)) == 2  # 10-08 and 10-09
    assert calendar.workdays_between(date(2026, 10, 9), date(2026, 9, 30)) == -2
    assert calendar.workdays_between(date(2026, 10, 9), date(2026, 10, 10)) == 1  # a make-up Saturday
    assert calendar.workdays_between(date(2026, 10, 9), date(2026, 10, 9)) == 0


def test_an_approval_states_the_permit_content_and_validity_of_the_accepted_revision(people):
    from app.rules.catalog import items as catalog

    (admin, _), approver, key = people
    catalog.update_item(admin, flows.item_id("370303-SCZT-001"),
                        {"permit_content": "销售预包装食品", "validity_months": 60}, "补充许可内容与有效期")
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION,
                                permit_content="销售预包装食品（含冷藏冷冻食品）")
    decision = decisions.complete(approver, request.challenge_id, key.get(request.options_json))
    permit = json.loads(decision.payload)["permit"]
    decided = date.fromisoformat(json.loads(decision.payload)["decided_at"][:10])
    assert permit["content"] == "销售预包装食品（含冷藏冷冻食品）" and permit["valid_from"] == decided.isoformat()
    until = date.fromisoformat(permit["valid_until"])
    assert until.year == decided.year + 5 and until == date(decided.year + 5, decided.month, decided.day) - timedelta(days=1)
    assert proof.check_file(decisions.read_pdf(decision), root_der()).valid


def test_the_applicants_phone_is_optional_checked_and_stored_encrypted(people):
    from app.rules import personal_data

    _, approver, _ = people
    item, n = flows.item_id("370303-SCZT-001"), materials()
    for bad in ("call me", "12345"):
        refused(lambda: cases.accept_new_case(approver, item, *APPLICANT, list(range(n)), True, phone=bad),
                "applicant.phone")
    case = cases.accept_new_case(approver, item, *APPLICANT, list(range(n)), True, phone=" 0533-2181234 ")
    assert b"2181234" not in case.applicant_phone_encrypted
    assert personal_data.decrypt(case.applicant_phone_encrypted) == "0533-2181234"
    assert cases.accept_new_case(approver, item, *APPLICANT, list(range(n)), True).applicant_phone_encrypted == b""


def test_a_document_number_pattern_without_its_fields_stops_the_app(monkeypatch):
    from app import config

    monkeypatch.setenv("APP_REFUSAL_NUMBER_PATTERN", "张行审不许字〔2026〕号")
    with pytest.raises(ValueError, match="APP_REFUSAL_NUMBER_PATTERN"):
        config.load_settings()
    monkeypatch.setenv("APP_REFUSAL_NUMBER_PATTERN", "张行审不许字〔{year}〕{seq}号{seq}")
    with pytest.raises(ValueError):
        config.load_settings()
    monkeypatch.setenv("APP_REFUSAL_NUMBER_PATTERN", "张店不许〔{year}〕第{seq}号")
    assert config.load_settings().refusal_number_pattern == "张店不许〔{year}〕第{seq}号"
