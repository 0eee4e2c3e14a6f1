"""Quarterly spot check (七(二)): the population file and its digest, sample sizes, the draw (against
a plain reference implementation, reproducible, uniform, the CLI agrees), the commitment → seed →
draw → review → rectification → closure path, redraw, and every refusal (nothing changed, audited)."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from fractions import Fraction
from math import ceil
from pathlib import Path

import pytest
from sqlmodel import func, select

from app.db import transaction
from app.models import AuditEvent, Case, CaseEvent, Decision, Officer, SpotCheck, SpotCheckReview
from app.rules.calendar import clock
from app.rules.supervision import spot_checks
from app.rules.supervision import spot_draw
from app.rules.errors import Refused
from app.rules.principal import Principal
from app.rules.people.roles import APPROVER, AUDITOR
from app.rules.calendar.workdays import Calendar
from tests import flows

ROOT = Path(__file__).resolve().parents[2]
Q = "2026Q3"
SEED = "31415926535897932384626"
OTHER_SEED = "27182818284590452353602"
ALL_YES = {key: True for key, _ in spot_checks.CHECKLIST}


# ---------------------------------------------------------------- the draw, without a database


def population(counts: dict[str, int], quarter: str = Q, rate: int = 20) -> spot_draw.Population:
    entries = [(f"SL{staff}{n:06d}", staff) for staff in sorted(counts) for n in range(counts[staff])]
    return spot_draw.serialize_population(quarter, rate, entries)


def reference_draw(pop: spot_draw.Population, seed: str) -> dict[str, list[str]]:
    """The documented procedure, written as plainly as possible (docs/spot-check.md §3)."""
    strata: dict[str, list[str]] = {}
    for case_no, staff_no in pop.entries:
        strata.setdefault(staff_no, []).append(case_no)
    out = {}
    for staff_no in sorted(strata):
        cases = strata[staff_no]
        n = max(1, ceil(Fraction(pop.rate_percent * len(cases), 100)))
        ranked = sorted(cases, key=lambda c: (int.from_bytes(hashlib.sha256(
            f"{seed},{pop.digest},{c}".encode()).digest(), "big"), c))
        out[staff_no] = ranked[:n]
    return out


def test_the_rules_import_no_reflex():
    code = "import sys, app.rules.supervision.spot_checks; assert 'reflex' not in sys.modules, 'reflex imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize("count, n", [(0, 0), (1, 1), (4, 1), (5, 1), (6, 2), (10, 2), (11, 3), (100, 20), (101, 21)])
def test_sample_sizes(count, n):
    """max(1, ceil(20% × count)): 0.8 → 1, 1.0 → 1, 1.2 → 2, 20.2 → 21."""
    assert spot_draw.sample_size(count, 20) == n
    if count:
        drawn = spot_draw.draw(population({"S001": count}), SEED)
        assert [(s.staff_no, s.count, len(s.drawn)) for s in drawn.strata] == [("S001", count, n)]
        assert len(set(drawn.case_nos)) == n


def test_sample_size_is_exact_integer_ceiling_for_every_rate():
    for rate in range(spot_draw.MIN_RATE, spot_draw.MAX_RATE + 1):
        for count in range(1, 1001):
            assert spot_draw.sample_size(count, rate) == min(count, max(1, ceil(Fraction(count * rate, 100))))


def test_draw_matches_the_plain_reference_implementation():
    rng = random.Random(7)
    for _ in range(20):
        counts = {f"S{k:03d}": rng.choice([1, 2, 4, 5, 6, 9, 37, 101, 400, 2500]) for k in range(rng.randint(1, 6))}
        pop = population(counts, rate=rng.choice([20, 25, 30, 100]))
        seed = "".join(rng.choice("0123456789") for _ in range(24))
        result = spot_draw.draw(pop, seed)
        assert {s.staff_no: [c for _, c in s.drawn] for s in result.strata} == reference_draw(pop, seed)
        for stratum in result.strata:  # tickets are what the document says, smallest first
            tickets = [t for t, _ in stratum.drawn]
            assert tickets == sorted(tickets)
            assert all(t == spot_draw.ticket(seed, pop.digest, c) for t, c in stratum.drawn)


def test_equal_tickets_fall_back_to_the_case_number():
    """Only a SHA-256 collision could make two tickets equal; the order stays total even then."""
    low, high = b"\x00" * 32, b"\x01" * 32
    assert spot_draw._smallest([high, low, high], ["C", "A", "B"], 2) == [(low, "A"), (high, "B")]
    many = [b"\x00" * 32] + [bytes([1 + k % 200]) + b"\x00" * 31 for k in range(1000)] + [b"\x00" * 32]
    names = ["K1001"] + [f"K{k:04d}" for k in range(1000)] + ["K1000"]
    assert spot_draw._smallest(many, names, 2) == [(b"\x00" * 32, "K1000"), (b"\x00" * 32, "K1001")]


def test_the_draw_is_reproducible_and_depends_on_seed_and_population():
    pop = population({"S001": 101, "S002": 6, "S003": 1})
    first, again = spot_draw.draw(pop, SEED), spot_draw.draw(population({"S001": 101, "S002": 6, "S003": 1}), SEED)
    assert spot_draw.format_draw(first) == spot_draw.format_draw(again)
    other = spot_draw.draw(pop, OTHER_SEED)
    assert other.case_nos[:21] != first.case_nos[:21]  # 21 of 101 again by chance: ~1e-22
    # Spaces between dice groups do not change the seed.
    spaced = spot_draw.draw(pop, " ".join([SEED[:8], SEED[8:16], SEED[16:]]))
    assert spaced.case_nos == first.case_nos and spaced.seed == SEED
    # A different population (one case added) has another digest, so every ticket changes.
    bigger = population({"S001": 102, "S002": 6, "S003": 1})
    assert bigger.digest != pop.digest and spot_draw.draw(bigger, SEED).case_nos[:21] != first.case_nos[:21]
    # The rate is committed with the population (the file's first line): it is not chosen after the seed.
    assert population({"S001": 101, "S002": 6, "S003": 1}, rate=30).digest != pop.digest


def test_every_case_has_the_same_chance():
    """5 cases, 1 drawn, 2,000 seeds: each case drawn 400 times on average (sd 17.9)."""
    pop = population({"S001": 5})
    hits = Counter(spot_draw.draw(pop, f"{n:024d}").case_nos[0] for n in range(2000))
    assert len(hits) == 5 and all(320 < h < 480 for h in hits.values()), hits


def test_population_file_is_the_committed_bytes():
    pop = population({"S002": 1, "S001": 2})
    assert pop.data == (b"spotcheck-population/v1\t2026Q3\t20\n"
                        b"SLS001000000\tS001\nSLS001000001\tS001\nSLS002000000\tS002\n")
    assert pop.digest == hashlib.sha256(pop.data).hexdigest()
    assert spot_draw.parse_population(pop.data) == pop
    empty = spot_draw.serialize_population(Q, 20, [])
    assert empty.data == b"spotcheck-population/v1\t2026Q3\t20\n" and spot_draw.draw(empty, SEED).size == 0


@pytest.mark.parametrize("data", [
    b"spotcheck-population/v1\t2026Q3\t20\nSL1\tS001",  # no final LF
    b"spotcheck-population/v1\t2026Q3\t20\r\nSL1\tS001\r\n",  # CR LF
    b"spotcheck-population/v2\t2026Q3\t20\nSL1\tS001\n",
    b"spotcheck-population/v1\t2026Q3\t020\nSL1\tS001\n",  # not canonical
    b"spotcheck-population/v1\t2026Q3\t19\nSL1\tS001\n",  # below the regulation's 20%
    b"spotcheck-population/v1\t2026Q5\t20\nSL1\tS001\n",
    b"spotcheck-population/v1\t2026Q3\t20\nSL1\tS001\nSL1\tS002\n",  # a case twice
    b"spotcheck-population/v1\t2026Q3\t20\nSL1\tS001\tx\n",
    b"spotcheck-population/v1\t2026Q3\t20\nSL,1\tS001\n",  # a comma would make the hash input ambiguous
    b"spotcheck-population/v1\t2026Q3\t20\n\tS001\n",
    b"spotcheck-population/v1\t2026Q3\t20\nSL1\t\n",
    b"spotcheck-population/v1\t2026Q3\t20\nSL1\xff\tS001\n",
])
def test_population_file_refusals(data):
    with pytest.raises(Refused) as exc:
        spot_draw.parse_population(data)
    assert exc.value.code in ("spotcheck.population_invalid", "spotcheck.rate_invalid", "spotcheck.quarter_invalid")


@pytest.mark.parametrize("seed", ["1234567890123456789", "12345678901234567890x", "１２３４５６７８９０１２３４５６７８９０１",
                                  "", None, 12345678901234567890123, "1" * 201, "-1234567890123456789012"])
def test_seed_refusals(seed):
    with pytest.raises(Refused) as exc:
        spot_draw.normalize_seed(seed)
    assert exc.value.code == "spotcheck.seed_invalid"


# The worked example of docs/spot-check.md, byte for byte (the document must stay true).
EXAMPLE_POPULATION = (b"spotcheck-population/v1\t2026Q3\t20\n"
                      b"SL20260701000001\tS001\nSL20260702000004\tS001\nSL20260703000007\tS001\n"
                      b"SL20260706000009\tS001\nSL20260707000012\tS001\nSL20260708000015\tS001\n"
                      b"SL20260710000020\tS002\n")
EXAMPLE_SEED = "3141592653 5897932384 6264"


def test_the_documented_example():
    pop = spot_draw.parse_population(EXAMPLE_POPULATION)
    text = spot_draw.format_draw(spot_draw.draw(pop, EXAMPLE_SEED))
    doc = (ROOT / "docs" / "spot-check.md").read_text(encoding="utf-8")
    assert pop.digest in doc
    assert f"```\n{text}```" in doc, text  # the result block, TABs and all
    assert f"```\n{EXAMPLE_POPULATION.decode()}```" in doc
    # The Python of §4 gives the same sample.
    code = doc.split("```python\n")[1].split("```")[0]
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["draw"](EXAMPLE_POPULATION, EXAMPLE_SEED) == {
        "S001": ["SL20260706000009", "SL20260701000001"], "S002": ["SL20260710000020"]}


def test_cli_reruns_the_draw_from_the_file(tmp_path):
    path = tmp_path / "population.txt"
    path.write_bytes(EXAMPLE_POPULATION)
    run = subprocess.run([sys.executable, "-m", "app.cli", "spotcheck", "draw", "--population", str(path),
                          "--seed", EXAMPLE_SEED, "--rate", "20"], capture_output=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout == spot_draw.format_draw(spot_draw.draw(spot_draw.parse_population(EXAMPLE_POPULATION),
                                                              EXAMPLE_SEED)).encode()
    wrong_rate = subprocess.run([sys.executable, "-m", "app.cli", "spotcheck", "draw", "--population", str(path),
                                 "--seed", EXAMPLE_SEED, "--rate", "30"], capture_output=True, cwd=ROOT)
    assert wrong_rate.returncode == 1 and "20%" in wrong_rate.stderr.decode()
    short_seed = subprocess.run([sys.executable, "-m", "app.cli", "spotcheck", "draw", "--population", str(path),
                                 "--seed", "123"], capture_output=True, cwd=ROOT)
    assert short_seed.returncode == 1 and "随机数" in short_seed.stderr.decode()


def test_quarters():
    assert spot_checks.quarter_bounds("2026Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    assert spot_checks.quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert spot_checks.last_ended_quarter(date(2026, 11, 28)) == "2026Q3"
    assert spot_checks.last_ended_quarter(date(2027, 2, 1)) == "2026Q4"
    for bad in ("2026Q5", "2026q3", "26Q3", "1999Q1", None, 2026):
        with pytest.raises(Refused) as exc:
            spot_checks.quarter_bounds(bad)
        assert exc.value.code == "spotcheck.quarter_invalid"


def test_rectification_deadline_skips_national_day(db):
    """15 working days from Monday 2026-09-28: 9/29, 9/30, (10/1–10/7 国庆), 10/8, 10/9, Saturday 10/10
    (调休上班), 10/12–16, 10/19–23 → Friday 2026-10-23; weekdays alone would give 2026-10-19."""
    with transaction() as s:
        assert spot_checks.rectification_due(s, date(2026, 9, 28)) == (date(2026, 10, 23), False)
    weekdays_only = Calendar(overrides={date(2026, 10, d): d not in (10,) and date(2026, 10, d).weekday() < 5
                                        for d in range(1, 11)})
    assert weekdays_only.add_workdays(date(2026, 9, 28), 15)[0] == date(2026, 10, 19)


# ---------------------------------------------------------------- with the database


def officer(staff_no: str) -> int:
    return flows.officer_id(staff_no)


def decide_in_q3(approver, key, day: date, minute: int, code: str = "370303-SCZT-001") -> Decision:
    case = flows.accept_case(approver, code)
    decision = flows.sign_case(approver, key, case)
    at = datetime(day.year, day.month, day.day, 9, minute, tzinfo=clock.BEIJING)
    with transaction() as s:  # the test cannot sign in the past
        row, case_row = s.get(Decision, decision.id), s.get(Case, case.id)
        row.decided_at = case_row.decided_at = at
        s.add(row)
        s.add(case_row)
    return decision


@pytest.fixture()
def desk(db):
    """A001 (admin + auditor), P001 (auditor); S001 decided 6 cases in 2026Q3, S002 one."""
    admin, admin_key = flows.enroll_admin()
    keys = {s: flows.register_key(admin, admin_key, s) for s in ("S001", "S002", "P001")}
    people = {s: flows.sign_in(s, k) for s, k in keys.items()}
    decisions = [decide_in_q3(people["S001"], keys["S001"], date(2026, 7 + n % 3, 10 + n), n) for n in range(6)]
    decisions.append(decide_in_q3(people["S002"], keys["S002"], date(2026, 8, 3), 0, "370303-SHSW-002"))
    return {"admin": admin, "auditor": people["P001"], "S001": people["S001"], "S002": people["S002"],
            "keys": keys, "decisions": decisions}


def spot_snapshot():
    with transaction() as s:
        return ([(c.id, c.state, c.seed, tuple(c.sample), c.population_digest) for c in s.exec(select(SpotCheck))],
                [(r.id, r.result, r.closed_at, r.closing_evidence) for r in s.exec(select(SpotCheckReview))],
                s.exec(select(func.count()).select_from(CaseEvent)).one())


def refused(fn, code: str, audited: bool | None = None) -> Refused:
    """Refused with `code`; nothing changed; a spot-check refusal is on the audit log."""
    before = spot_snapshot()
    err = flows.assert_refused(fn, code, code.startswith("spotcheck.") if audited is None else audited)
    assert spot_snapshot() == before
    return err


def events(action: str) -> list[AuditEvent]:
    with transaction() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def drawn_check(desk) -> SpotCheck:
    check = spot_checks.commit(desk["auditor"], Q)
    return spot_checks.seed_and_draw(desk["auditor"], check.id, SEED, "刘芳掷骰，王建国读数，李志强见证")


def test_commit_then_draw_and_both_files_agree_with_the_cli(desk, tmp_path):
    auditor = desk["auditor"]
    check = spot_checks.commit(auditor, Q)
    assert check.state == "committed" and check.seed is None and check.sample == []
    # Canonical order: staff_no, then decided_at, then case id.
    with transaction() as s:
        ordered = [s.get(Decision, d.id) for d in desk["decisions"]]
        expected = sorted(ordered, key=lambda d: (s.get(Officer, d.approver_id).staff_no, d.decided_at, d.case_id))
    assert [e["case_id"] for e in check.population] == [d.case_id for d in expected]
    assert [e["staff_no"] for e in check.population] == ["S001"] * 6 + ["S002"]
    name, data = spot_checks.population_file(auditor, check.id)
    assert name.startswith("spotcheck-2026Q3-population-") and hashlib.sha256(data).hexdigest() == check.population_digest
    committed = events("spotcheck.committed")[-1]
    assert committed.details["population_sha256"] == check.population_digest and committed.details["cases"] == 7
    refused(lambda: spot_checks.draw_file(auditor, check.id), "spotcheck.not_drawn")

    drawn = spot_checks.seed_and_draw(auditor, check.id, " ".join([SEED[:12], SEED[12:]]), "刘芳掷骰，王建国见证")
    assert drawn.state == "drawn" and drawn.seed == SEED and drawn.seeded_by == officer("P001")
    assert drawn.seeded_at > drawn.committed_at
    by_id = {e["case_id"]: e["staff_no"] for e in check.population}
    assert Counter(by_id[c] for c in drawn.sample) == {"S001": 2, "S002": 1}
    view = spot_checks.overview(auditor, Q)
    assert [(s.staff_no, s.count, len(s.drawn)) for s in view.live.strata] == [("S001", 6, 2), ("S002", 1, 1)]
    assert [d.case_id for d in view.live.drawn] == drawn.sample and not view.can_commit
    _, result = spot_checks.draw_file(auditor, check.id)
    seeded = events("spotcheck.drawn")[-1]
    assert seeded.details["seed"] == SEED and seeded.details["witnesses"] == "刘芳掷骰，王建国见证"
    assert seeded.details["draw_sha256"] == hashlib.sha256(result).hexdigest()
    path = tmp_path / name
    path.write_bytes(data)
    run = subprocess.run([sys.executable, "-m", "app.cli", "spotcheck", "draw", "--population", str(path),
                          "--seed", SEED], capture_output=True, cwd=ROOT)
    assert run.returncode == 0 and run.stdout == result
    with transaction() as s:
        case_nos = {c.id: c.case_no for c in s.exec(select(Case))}
    assert [line.split("\t")[3] for line in result.decode().splitlines() if line.startswith("draw\t")] == \
        [case_nos[c] for c in drawn.sample]


def test_commit_refusals(desk):
    auditor = desk["auditor"]
    refused(lambda: spot_checks.commit(desk["S001"], Q), "role.denied", audited=False)
    refused(lambda: spot_checks.commit(auditor, "2026Q5"), "spotcheck.quarter_invalid")
    refused(lambda: spot_checks.commit(auditor, {"quarter": Q}), "spotcheck.quarter_invalid")
    refused(lambda: spot_checks.commit(auditor, "2026Q4"), "spotcheck.quarter_open")  # today is in it
    refused(lambda: spot_checks.commit(auditor, "2026Q1"), "spotcheck.empty_population")
    check = spot_checks.commit(auditor, Q)
    err = refused(lambda: spot_checks.commit(desk["admin"], Q), "spotcheck.exists")  # A001 is an auditor too
    assert "重抽" in err.message
    spot_checks.seed_and_draw(auditor, check.id, SEED, "见证人：王建国")
    refused(lambda: spot_checks.commit(auditor, Q), "spotcheck.exists")


def test_seed_refusals_and_a_population_that_changed(desk):
    auditor = desk["auditor"]
    check = spot_checks.commit(auditor, Q)
    refused(lambda: spot_checks.seed_and_draw(auditor, check.id, SEED[:19], "见证"), "spotcheck.seed_invalid")
    refused(lambda: spot_checks.seed_and_draw(auditor, check.id, SEED + "x", "见证"), "spotcheck.seed_invalid")
    refused(lambda: spot_checks.seed_and_draw(auditor, check.id, SEED, "  "), "spotcheck.witnesses_missing")
    refused(lambda: spot_checks.seed_and_draw(auditor, 999, SEED, "见证"), "spotcheck.not_found")
    refused(lambda: spot_checks.seed_and_draw(auditor, True, SEED, "见证"), "input.invalid", audited=False)
    refused(lambda: spot_checks.seed_and_draw(desk["S002"], check.id, SEED, "见证"), "role.denied", audited=False)
    # A decision that appears in the committed quarter afterwards: the commitment no longer holds.
    late = decide_in_q3(desk["S002"], desk["keys"]["S002"], date(2026, 9, 30), 5, "370303-SHSW-002")
    refused(lambda: spot_checks.seed_and_draw(auditor, check.id, SEED, "见证"), "spotcheck.population_changed")
    new = spot_checks.redraw(auditor, check.id, "承诺后发现漏记的 9 月 30 日决定")
    assert late.case_id in [e["case_id"] for e in new.population] and new.population_digest != check.population_digest
    drawn = spot_checks.seed_and_draw(auditor, new.id, SEED, "见证")
    refused(lambda: spot_checks.seed_and_draw(auditor, drawn.id, OTHER_SEED, "见证"), "spotcheck.already_drawn")


def test_redraw_supersedes_keeps_and_needs_a_new_ceremony(desk):
    auditor = desk["auditor"]
    old = drawn_check(desk)
    case_id = old.sample[0]
    refused(lambda: spot_checks.redraw(auditor, old.id, " "), "spotcheck.reason_missing")
    refused(lambda: spot_checks.redraw(desk["S001"], old.id, "理由"), "role.denied", audited=False)
    spot_checks.review(auditor, old.id, case_id, ALL_YES, "pass", "")
    new = spot_checks.redraw(auditor, old.id, "摇号时见证人未到场")
    assert (new.state, new.redraw_of, new.redraw_reason, new.seed, new.sample) == \
        ("committed", old.id, "摇号时见证人未到场", None, [])
    assert new.population == old.population and new.population_digest == old.population_digest
    with transaction() as s:
        kept = s.get(SpotCheck, old.id)
        assert (kept.state, kept.seed, kept.sample) == ("superseded", SEED, old.sample)
        assert s.exec(select(SpotCheckReview).where(SpotCheckReview.spot_check_id == old.id)).one()  # kept
    redrawn = events("spotcheck.redrawn")[-1]
    assert redrawn.details == {"quarter": Q, "superseded_by": new.id, "reason": "摇号时见证人未到场", "reviews_done": 1,
                               "old_seed": SEED, "old_population_sha256": old.population_digest,
                               "new_population_sha256": new.population_digest}
    refused(lambda: spot_checks.redraw(auditor, old.id, "再来一次"), "spotcheck.superseded")
    refused(lambda: spot_checks.seed_and_draw(auditor, old.id, OTHER_SEED, "见证"), "spotcheck.superseded")
    refused(lambda: spot_checks.review(auditor, old.id, old.sample[1], ALL_YES, "pass", ""), "spotcheck.superseded")
    refused(lambda: spot_checks.seed_and_draw(auditor, new.id, SEED, "见证"), "spotcheck.seed_reused")
    again = spot_checks.seed_and_draw(auditor, new.id, OTHER_SEED, "重新掷骰，见证人王建国")
    assert again.state == "drawn"
    view = spot_checks.overview(auditor, Q)
    assert view.live.check.id == new.id and [(o.id, reason) for o, reason in view.superseded] == \
        [(old.id, "摇号时见证人未到场")]


def test_review_refusals(desk):
    auditor = desk["auditor"]
    check = spot_checks.commit(auditor, Q)
    some_case = check.population[0]["case_id"]
    refused(lambda: spot_checks.review(auditor, check.id, some_case, ALL_YES, "pass", ""), "spotcheck.not_drawn")
    check = spot_checks.seed_and_draw(auditor, check.id, SEED, "见证")
    drawn = check.sample[0]
    outside = next(e["case_id"] for e in check.population if e["case_id"] not in check.sample)
    flaw = dict(ALL_YES, documents_standard=False)

    def review(**kw):
        args = dict(check_id=check.id, case_id=drawn, checklist=flaw, result="flaw", notes="决定书未写明救济期限",
                    rectification_request="补正决定书并重新送达", due=None, propose_correction=False)
        args.update(kw)
        principal = args.pop("principal", auditor)
        return lambda: spot_checks.review(principal, **args)

    refused(review(principal=desk["S001"]), "role.denied", audited=False)
    refused(review(case_id=outside), "spotcheck.not_in_sample")
    refused(review(check_id=999), "spotcheck.not_found")
    refused(review(case_id="1"), "input.invalid", audited=False)
    refused(review(checklist={k: True for k, _ in spot_checks.CHECKLIST[:-1]}), "spotcheck.checklist_incomplete")
    refused(review(checklist=dict(ALL_YES, on_time="yes")), "spotcheck.checklist_incomplete")
    refused(review(checklist=["materials_complete"]), "spotcheck.checklist_incomplete")
    refused(review(result="bad"), "spotcheck.result_invalid")
    refused(review(result="pass", rectification_request=""), "spotcheck.inconsistent")  # a "no" in the checklist
    refused(review(result="pass", checklist=ALL_YES), "spotcheck.inconsistent")  # no rectification for a pass
    refused(review(result="pass", checklist=ALL_YES, rectification_request="", due="2026-12-31"),
            "spotcheck.inconsistent")
    refused(review(result="pass", checklist=ALL_YES, rectification_request="", propose_correction=True),
            "spotcheck.inconsistent")
    refused(review(propose_correction=True), "spotcheck.inconsistent")  # only for 错误
    refused(review(propose_correction="yes"), "input.invalid", audited=False)
    refused(review(notes=" "), "spotcheck.notes_missing")
    refused(review(rectification_request=""), "spotcheck.request_missing")
    refused(review(due=clock.today().isoformat()), "spotcheck.due_invalid")
    refused(review(due="2026-13-01"), "input.invalid_date", audited=False)
    # The approver who decided it, had they become an auditor (or hold both roles), may not review it.
    with transaction() as s:
        decider = s.exec(select(Decision).where(Decision.case_id == drawn)).one().approver_id
        staff_no = s.get(Officer, decider).staff_no
    both = Principal("x", decider, 0, "审批员", staff_no, (APPROVER, AUDITOR))
    refused(review(principal=both), "spotcheck.own_case")
    row = review()()
    refused(review(), "spotcheck.already_reviewed")
    refused(review(principal=desk["admin"], result="pass", checklist=ALL_YES, rectification_request=""),
            "spotcheck.already_reviewed")
    assert row.result == "flaw"


def test_review_to_rectification_to_closure(desk, monkeypatch):
    auditor, admin = desk["auditor"], desk["admin"]
    check = drawn_check(desk)
    by_staff = {e["case_id"]: e["staff_no"] for e in check.population}
    s001_cases = [c for c in check.sample if by_staff[c] == "S001"]
    s002_case = next(c for c in check.sample if by_staff[c] == "S002")
    # 合格: nothing to rectify.
    passed = spot_checks.review(admin, check.id, s001_cases[0], ALL_YES, "pass", "抽查无问题")
    assert passed.rectification_due is None and passed.checklist[spot_checks.PROPOSE_CORRECTION] is False
    # 错误 on a case reviewed on Monday 2026-09-28: due 15 working days later, across 国庆.
    monkeypatch.setattr(clock, "today", lambda: date(2026, 9, 28))
    error = spot_checks.review(auditor, check.id, s001_cases[1], dict(ALL_YES, basis_correct=False), "error",
                               "适用的法律依据已废止", "提出纠正意见并说明", None, True)
    assert error.rectification_due == date(2026, 10, 23)
    assert error.checklist == {**dict(ALL_YES, basis_correct=False), spot_checks.PROPOSE_CORRECTION: True}
    monkeypatch.undo()
    flaw = spot_checks.review(auditor, check.id, s002_case, dict(ALL_YES, opinion_clear=False), "flaw",
                              "审查意见过于简略", "补充审查意见", "2027-01-15")
    assert flaw.rectification_due == date(2027, 1, 15)
    reviewed = events("spotcheck.reviewed")
    assert [e.details["result"] for e in reviewed] == ["pass", "error", "flaw"]
    assert reviewed[1].details["failed"] == ["basis_correct"] and reviewed[1].details["propose_correction"] is True

    # Each approver sees only their own open requests.
    mine = spot_checks.open_rectifications_for(desk["S001"])
    assert [(r.review_id, r.result, r.failed, r.due, r.propose_correction, r.statement) for r in mine] == \
        [(error.id, "错误", ["决定依据正确"], date(2026, 10, 23), True, "")]
    assert mine[0].overdue  # 2026-10-23 has passed
    assert [r.review_id for r in spot_checks.open_rectifications_for(desk["S002"])] == [flaw.id]
    refused(lambda: spot_checks.open_rectifications_for(auditor), "role.denied", audited=False)
    assert [r.review_id for r in spot_checks.open_rectifications(auditor)] == [error.id, flaw.id]

    refused(lambda: spot_checks.submit_rectification(desk["S002"], error.id, "已整改"), "spotcheck.not_your_case")
    refused(lambda: spot_checks.submit_rectification(desk["S001"], error.id, ""), "spotcheck.statement_missing")
    refused(lambda: spot_checks.submit_rectification(desk["S001"], passed.id, "无"), "spotcheck.nothing_to_rectify")
    refused(lambda: spot_checks.submit_rectification(desk["S001"], 999, "无"), "spotcheck.not_found")
    refused(lambda: spot_checks.submit_rectification(auditor, error.id, "已整改"), "role.denied", audited=False)
    refused(lambda: spot_checks.close_rectification(auditor, error.id, "核实"), "spotcheck.not_reported")
    spot_checks.submit_rectification(desk["S001"], error.id, "已提请局负责人按第六十九条处理，并补写说明")
    assert spot_checks.open_rectifications_for(desk["S001"])[0].statement.startswith("已提请局负责人")
    refused(lambda: spot_checks.close_rectification(auditor, error.id, "  "), "spotcheck.evidence_missing")
    refused(lambda: spot_checks.close_rectification(auditor, passed.id, "核实"), "spotcheck.nothing_to_rectify")
    refused(lambda: spot_checks.close_rectification(desk["S001"], error.id, "核实"), "role.denied", audited=False)
    with transaction() as s:
        decider = s.exec(select(Decision).where(Decision.case_id == s001_cases[1])).one().approver_id
    both = Principal("x", decider, 0, "张晓梅", "S001", (APPROVER, AUDITOR))
    refused(lambda: spot_checks.close_rectification(both, error.id, "本人核实"), "spotcheck.own_case")
    closed = spot_checks.close_rectification(auditor, error.id, "已见局务会纪要（2026年第12次）及补写的说明")
    assert closed.closed_by == officer("P001") and closed.closing_evidence.startswith("已见局务会纪要")
    refused(lambda: spot_checks.close_rectification(auditor, error.id, "再次"), "spotcheck.already_closed")
    refused(lambda: spot_checks.submit_rectification(desk["S001"], error.id, "补充"), "spotcheck.already_closed")
    assert spot_checks.open_rectifications_for(desk["S001"]) == []
    assert [r.review_id for r in spot_checks.open_rectifications(auditor)] == [flaw.id]
    # The case's own history carries every later finding (lifetime responsibility, 七(四)).
    with transaction() as s:
        kinds = [e.kind for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == s001_cases[1]).order_by(CaseEvent.id))]
    assert kinds[-3:] == ["spot_check_reviewed", "spot_check_reported", "spot_check_closed"]
    assert events("spotcheck.closed")[-1].details["late"] is True
    statuses = {d.case_id: (d.review.result if d.review else None) for d in spot_checks.overview(auditor, Q).live.drawn}
    assert statuses == {s001_cases[0]: "pass", s001_cases[1]: "error", s002_case: "flaw"}


def test_a_tampered_population_is_refused(desk):
    auditor = desk["auditor"]
    check = spot_checks.commit(auditor, Q)
    with transaction() as s:
        row = s.get(SpotCheck, check.id)
        row.population = list(reversed(row.population))
        s.add(row)
    refused(lambda: spot_checks.population_file(auditor, check.id), "spotcheck.tampered")
    refused(lambda: spot_checks.seed_and_draw(auditor, check.id, SEED, "见证"), "spotcheck.tampered")
    assert json.dumps(check.population)  # stored as plain JSON
