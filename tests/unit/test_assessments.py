"""年度考核 (七(三)) and what follows from it: the computed figures, the level and its refusals,
disqualification revoking authorizations and keys through their lifecycle and blocking
re-authorization until a re-qualification; regulation 四 holding while an authorization runs (a 不称职
grade or a failed exam stops signing); revoked authorizations' keys shown as stopped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from app.db import transaction
from app.models import (Assessment, AuditEvent, Authorization, KeyCertificate, Qualification, RevocationList,
                        SecurityKey)
from app.rules.people import assessments
from app.rules.people import authorizations
from app.rules.calendar import clock
from app.rules.counter import decisions
from app.rules.people import eligibility
from app.rules.people import roster
from app.rules.errors import Refused
from app.state.roster import KEY_STATUS
from tests import flows
from tests.supervision import decided_case, spot_review, visit

YEAR = 2026


@pytest.fixture()
def people(db):
    """A001 (admin, stepped up) with S001's and S002's keys registered; P001 (auditor) signed in."""
    admin, admin_key = flows.enroll_admin()
    s001_key = flows.register_key(admin, admin_key, "S001")
    s002_key = flows.register_key(admin, admin_key, "S002")
    auditor_key = flows.register_key(admin, admin_key, "P001")
    return {"admin": admin, "admin_key": admin_key, "s001_key": s001_key, "s002_key": s002_key,
            "auditor": flows.sign_in("P001", auditor_key), "s001": flows.officer_id("S001"),
            "s002": flows.officer_id("S002"), "p001": flows.officer_id("P001")}


def assessment_rows() -> list[tuple]:
    with transaction() as s:
        return sorted((a.id, a.level, a.disqualified_at is not None) for a in s.exec(select(Assessment)))


def refused(fn, code: str) -> Refused:
    before = assessment_rows(), flows.business_snapshot()
    with pytest.raises(Refused) as exc:
        fn()
    assert exc.value.code == code, exc.value
    assert exc.value.message
    assert (assessment_rows(), flows.business_snapshot()) == before
    return exc.value


def test_figures_on_a_small_year(people):
    late = decided_case("S001", date(YEAR, 9, 10), date(YEAR, 9, 5))
    on_time = decided_case("S001", date(YEAR, 3, 1), date(YEAR, 3, 1))
    third = decided_case("S001", date(YEAR, 6, 1), date(YEAR, 6, 5))
    decided_case("S001", date(YEAR, 7, 1), date(YEAR, 7, 3), outcome="refused")
    decided_case("S001", date(YEAR, 8, 1), None, outcome="not_accepted")  # decided at receipt: no time limit
    decided_case("S001", date(YEAR - 1, 12, 31), date(YEAR - 1, 12, 1))  # last year: not counted
    auditor = people["p001"]
    spot_review(late.id, auditor, "flaw", notes="受理通知书日期笔误")
    spot_review(on_time.id, auditor, "pass")
    spot_review(third.id, auditor, "pass", quarter=f"{YEAR}Q2")
    spot_review(third.id, auditor, "error", quarter=f"{YEAR}Q3", notes="条件审查遗漏")  # the newest review counts
    visit(late.id, auditor, {"process": 5, "attitude": 5, "efficiency": 5, "integrity": 5})
    visit(on_time.id, auditor, {"process": 4, "attitude": 3, "efficiency": 4, "integrity": 4})
    visit(third.id, auditor, {"process": 2, "attitude": 5, "efficiency": 5, "integrity": 5})
    with transaction() as s:
        f = assessments.figures(s, people["s001"], YEAR)
        empty = assessments.figures(s, people["s002"], YEAR)
    assert f["decided"] == 5 and f["by_outcome"] == {"approved": 3, "refused": 1, "not_accepted": 1}
    assert (f["timed"], f["on_time"], f["on_time_rate"], f["late_cases"]) == (4, 3, "75.0%", [late.case_no])
    assert (f["reviewed"], f["flaws"], f["errors"], f["defect_rate"]) == (3, 1, 1, "66.7%")
    assert [x["result"] for x in f["findings"]] == ["瑕疵", "错误"]
    assert (f["visits"], f["satisfied"], f["satisfaction_rate"]) == (3, 1, "33.3%")
    assert f["mean_rating"] == f"{(20 + 15 + 17) / 12:.2f}" == "4.33"
    assert (f["complaints"], f["complaints_open"]) == (1, 1)
    assert empty["decided"] == 0 and {empty[k] for k in ("on_time_rate", "defect_rate", "satisfaction_rate",
                                                          "mean_rating")} == {"—"}
    rows = {r.officer.staff_no: r for r in assessments.overview(people["auditor"], YEAR)}
    assert set(rows) == {"S001", "S002", "S003"} and rows["S001"].figures == f and rows["S001"].assessment is None


def test_the_level_is_recorded_once_with_the_figures_as_they_stood(people):
    admin = people["admin"]
    decided_case("S001", date(YEAR, 3, 1), date(YEAR, 3, 1))
    a = assessments.record(admin, people["s001"], str(YEAR), "合格", "按时办结，无差评")
    assert a.figures["decided"] == 1 and a.figures["serious_finding"] is False and not a.proposes_disqualification
    decided_case("S001", date(YEAR, 4, 1), date(YEAR, 4, 1))
    with transaction() as s:
        assert s.get(Assessment, a.id).figures["decided"] == 1  # as it stood when assessed
    [row] = [r for r in assessments.overview(admin, YEAR) if r.officer.staff_no == "S001"]
    assert row.figures["decided"] == 2 and row.assessment.id == a.id
    with transaction() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "assessment.recorded")).one()
    assert event.details["level"] == "合格" and event.details["figures"]["decided"] == 1


def test_assessment_refusals(people):
    admin, s001 = people["admin"], people["s001"]
    refused(lambda: assessments.record(people["auditor"], s001, YEAR, "合格", "理由"), "role.denied")
    for year in ("明年", 1999, clock.today().year + 1, None):
        refused(lambda: assessments.record(admin, s001, year, "合格", "理由"), "assessment.bad_year")
    for level in ("良好", "", None, ["合格"]):
        refused(lambda: assessments.record(admin, s001, YEAR, level, "理由"), "assessment.bad_level")
    refused(lambda: assessments.record(admin, s001, YEAR, "合格", " "), "input.reason_missing")
    refused(lambda: assessments.record(admin, s001, YEAR, "合格", "理由", "on"), "input.invalid")
    refused(lambda: assessments.record(admin, people["p001"], YEAR, "合格", "理由"), "assessment.not_approver")
    refused(lambda: assessments.record(admin, 999, YEAR, "合格", "理由"), "assessment.not_approver")
    refused(lambda: assessments.record(admin, "1", YEAR, "合格", "理由"), "input.invalid")
    approver = flows.sign_in("S001", people["s001_key"])
    refused(lambda: assessments.overview(approver, YEAR), "role.denied")
    assessments.record(admin, s001, YEAR, "优秀", "理由")
    refused(lambda: assessments.record(admin, s001, YEAR, "合格", "理由"), "assessment.exists")


def test_disqualification_revokes_authorizations_and_keys_and_needs_a_requalification(people):
    admin, admin_key, s001 = people["admin"], people["admin_key"], people["s001"]
    approver = flows.sign_in("S001", people["s001_key"])
    case = flows.accept_case(approver)
    decision = flows.sign_case(approver, people["s001_key"], case)  # signed before: stays on the record
    passed = assessments.record(admin, people["s002"], YEAR, "合格", "无问题")
    failed = assessments.record(admin, s001, YEAR, "不合格", "抽查发现两件错误决定，差评未整改")
    assert failed.proposes_disqualification and not passed.proposes_disqualification
    assert [a.id for a, _ in assessments.proposals(admin)] == [failed.id]
    refused(lambda: assessments.confirm_disqualification(admin, passed.id, "纪要"), "assessment.not_proposed")
    refused(lambda: assessments.confirm_disqualification(admin, failed.id, ""), "input.reason_missing")
    refused(lambda: assessments.confirm_disqualification(admin, 999, "纪要"), "assessment.unknown")
    refused(lambda: assessments.confirm_disqualification(people["auditor"], failed.id, "纪要"), "role.denied")
    stale = flows.sign_in("A001", admin_key)  # a session whose key was not confirmed again
    refused(lambda: assessments.confirm_disqualification(stale, failed.id, "纪要"), "stepup.required")
    with transaction() as s:
        crls = s.exec(select(func.count()).select_from(RevocationList)).one()
    flows.step_up(admin, admin_key)
    done = assessments.confirm_disqualification(admin, failed.id, "工作组 2026 年第 5 次会议纪要")
    assert done.disqualified_at is not None and done.disqualified_by == admin.officer_id
    with transaction() as s:
        auths = s.exec(select(Authorization).where(Authorization.officer_id == s001)).all()
        keys = s.exec(select(SecurityKey).where(SecurityKey.officer_id == s001)).all()
        certs = s.exec(select(KeyCertificate).where(KeyCertificate.key_id.in_([k.id for k in keys]))).all()
        assert s.exec(select(func.count()).select_from(RevocationList)).one() > crls  # a new CRL published
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "assessment.disqualified")).one()
        revoked_events = s.exec(select(AuditEvent).where(AuditEvent.action.in_(
            ["authorization.revoked", "key.revoked"]))).all()
    assert auths and all(a.revoked_at is not None and "取消资格" in a.revoke_reason for a in auths)
    assert keys and all(k.status == "revoked" for k in keys)
    assert certs and all(c.revoked_at is not None for c in certs)
    assert event.details["revoked_keys"] == [k.id for k in keys] and "step_up_at" in event.details
    assert {e.details["assessment_id"] for e in revoked_events} == {failed.id}
    # The key is refused at once: the open session ends, and no new sign-in is offered.
    with pytest.raises(Refused) as exc:
        flows.current(approver)
    assert exc.value.code == "session.key_inactive"
    with pytest.raises(Refused) as exc:
        flows.sign_in("S001", people["s001_key"])
    assert exc.value.code == "signin.unavailable"
    assert decisions.decision_of_case(case.id).id == decision.id
    refused(lambda: assessments.confirm_disqualification(admin, failed.id, "再次"), "assessment.already_disqualified")
    # No authorization again without a re-qualification recorded after the disqualification.
    err = refused(lambda: authorizations.grant(admin, s001, ["SCZT"], [], "重新授权"), "authorization.ineligible")
    assert "取消资格后重新取得资格" in err.message
    with transaction() as s:
        assert eligibility.blocks_signing(s, s001, clock.today()).startswith("已于")
    requalification = {"kind": "requalification", "on_date": clock.today().isoformat(),
                       "title": "工作组决定：补考合格，恢复资格"}
    refused(lambda: roster.add_qualification(stale, s001, requalification), "stepup.required")
    refused(lambda: roster.add_qualification(admin, people["s002"], requalification), "qualification.nothing_to_lift")
    roster.add_qualification(admin, s001, requalification)
    with transaction() as s:
        assert eligibility.blocks_signing(s, s001, clock.today()) is None
    _, _, _, conditions, _, _ = roster.officer_detail(admin, s001)
    assert conditions[-1].name == "取消资格后重新取得资格" and conditions[-1].ok
    auth = authorizations.grant(admin, s001, ["SCZT"], [], "重新取得资格后重新授权")
    assert auth.revoked_at is None


def test_a_serious_finding_proposes_disqualification_even_at_a_passing_level(people):
    a = assessments.record(people["admin"], people["s001"], YEAR, "基本合格", "一件错误决定", True)
    assert a.proposes_disqualification and a.figures["serious_finding"] is True


def _record(admin, officer_id: int, **fields) -> Qualification:
    return roster.add_qualification(admin, officer_id, fields)


def test_an_unfit_grade_or_failed_exam_stops_signing_until_the_working_group_decides(people):
    admin, s001 = people["admin"], people["s001"]
    today = clock.today()

    def block():
        with transaction() as s:
            return eligibility.blocks_signing(s, s001, today)

    assert block() is None
    unfit = _record(admin, s001, kind="assessment", year=str(today.year - 1), grade="不称职")
    assert "不称职" in block() and "待工作组决定" in block()
    # A correction of the record (it was entered wrongly) lifts it …
    _record(admin, s001, kind="assessment", year=str(today.year - 1), grade="优秀", corrects_id=str(unfit.id))
    assert block() is None
    # … a failed exam stops signing too, until a later exam is passed …
    _record(admin, s001, kind="exam", on_date=(today - timedelta(days=2)).isoformat(), title="专门考试", passed="no")
    assert "考试未通过" in block()
    _record(admin, s001, kind="exam", on_date=today.isoformat(), title="补考", passed="yes")
    assert block() is None
    # … or the working group records its decision (a re-qualification, with step-up).
    _record(admin, s001, kind="assessment", year=str(today.year - 1), grade="不称职", note="复核后仍不称职")
    assert "不称职" in block()
    flows.step_up(admin, people["admin_key"])
    _record(admin, s001, kind="requalification", on_date=today.isoformat(), title="工作组决定继续授权")
    assert block() is None
    with transaction() as s:
        assert eligibility.blocks_signing(s, people["s002"], today) is None


def test_pure_signing_block_reads_only_the_records():
    from datetime import datetime, timezone

    def q(kind, at, **kw):
        return Qualification(id=at, officer_id=1, kind=kind,
                             recorded_at=datetime(2026, 1, at, tzinfo=timezone.utc), **kw)

    assert eligibility.signing_block([], None) is None
    assert eligibility.signing_block([q("assessment", 2, year=2025, grade="称职")], None) is None
    dq = datetime(2026, 1, 5, tzinfo=timezone.utc)
    assert eligibility.signing_block([], dq) is not None
    assert eligibility.signing_block([q("requalification", 4, on_date=date(2026, 1, 4))], dq) is not None  # before
    assert eligibility.signing_block([q("requalification", 6, on_date=date(2026, 1, 6))], dq) is None


def test_prepare_is_refused_after_an_unfit_grade(people):
    approver = flows.sign_in("S001", people["s001_key"])
    case = flows.accept_case(approver)
    _record(people["admin"], people["s001"], kind="assessment", year=str(clock.today().year - 1), grade="不称职")
    flows.assert_refused(lambda: decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION),
                         "authorization.ineligible")
    flows.assert_refused(lambda: flows.accept_case(approver), "authorization.ineligible")


def test_keys_of_a_revoked_or_expired_authorization_read_stopped_on_the_roster(people):
    admin = people["admin"]
    with transaction() as s:
        s001_key = s.exec(select(SecurityKey).where(SecurityKey.officer_id == people["s001"])).one()
        s002_key = s.exec(select(SecurityKey).where(SecurityKey.officer_id == people["s002"])).one()
    assert roster.key_statuses(admin)[s001_key.id] == "active"
    flows.step_up(admin, people["admin_key"])
    authorizations.revoke(admin, s001_key.authorization_id, "调岗")
    with transaction() as s:  # an authorization that ran out yesterday
        auth = s.get(Authorization, s002_key.authorization_id)
        auth.valid_from, auth.valid_until = clock.today() - timedelta(days=400), clock.today() - timedelta(days=1)
        s.add(auth)
    shown = roster.key_statuses(admin)
    assert shown[s001_key.id] == "authorization_revoked" and shown[s002_key.id] == "authorization_expired"
    assert KEY_STATUS[shown[s001_key.id]] == "已停用（授权已撤销）"
    assert KEY_STATUS[shown[s002_key.id]] == "已停用（授权已到期）"
    assert roster.key_statuses(admin, people["s001"]) == {s001_key.id: "authorization_revoked"}
    rows = {o.staff_no: n for o, _, _, _, n in roster.search(admin).rows}
    assert rows["S001"] == 0 and rows["S002"] == 0 and rows["S003"] == 0
