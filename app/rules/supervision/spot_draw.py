"""The quarterly spot-check draw (七(二)), byte for byte as docs/spot-check.md specifies it.

Pure: no database, no Reflex, only hashlib. The rule (app/rules/supervision/spot_checks.py) and the CLI
(`python -m app.cli spotcheck draw`) both call these functions, so the sample the bureau records
and the one anybody re-computes from the exported population file and the seed are the same.

    population file  "spotcheck-population/v1" TAB quarter TAB rate LF, then one line per decided
                     case "case_no" TAB "staff_no" LF (UTF-8, canonical order)
    digest           SHA-256 of exactly those bytes (lower-case hex): what `sha256sum FILE` prints
    ticket           SHA-256( seed "," digest "," case_no ), UTF-8, as a 256-bit big-endian number
    stratum          one approver (staff_no); n = max(1, ceil(rate × count / 100)), at most count
    sample           per stratum, its n cases with the smallest tickets, smallest first
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from itertools import groupby
from operator import eq, itemgetter

from app.rules.errors import refuse

POPULATION_MAGIC = "spotcheck-population/v1"
DRAW_MAGIC = "spotcheck-draw/v1"
MIN_SEED_DIGITS = 20  # Rivest's sampler recommends ≥ 24 random digits; the bureau's floor is 20
MAX_SEED_DIGITS = 200  # the column's width
MIN_RATE, MAX_RATE = 20, 100  # regulation 七(二): at least 20% of each approver's cases
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Population:
    quarter: str
    rate_percent: int
    entries: list[tuple[str, str]]  # (case_no, staff_no), in the file's order
    data: bytes  # the file, exactly the committed bytes
    digest: str  # SHA-256 hex of `data`


@dataclass(frozen=True)
class Stratum:
    staff_no: str
    count: int  # cases the approver decided in the quarter
    drawn: list[tuple[bytes, str]]  # (ticket, case_no), smallest ticket first


@dataclass(frozen=True)
class Draw:
    quarter: str
    rate_percent: int
    digest: str
    seed: str
    strata: tuple[Stratum, ...]  # by staff_no (code-point order)

    @property
    def case_nos(self) -> list[str]:
        """The sample in draw order: stratum by stratum, each smallest ticket first."""
        return [case_no for s in self.strata for _, case_no in s.drawn]

    @property
    def size(self) -> int:
        return sum(len(s.drawn) for s in self.strata)


def sample_size(count: int, rate_percent: int) -> int:
    """max(1, ceil(rate × count / 100)) for an approver who decided any, never more than count.
    Integer arithmetic: float ceil(n * 0.07) is wrong for some n (7.000000000000001 → 8)."""
    if count <= 0:
        return 0
    return min(count, max(1, (count * rate_percent + 99) // 100))


def check_quarter(quarter) -> str:
    match = QUARTER.match(quarter.strip()) if isinstance(quarter, str) else None
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise refuse("spotcheck.quarter_invalid", "季度格式应为“2026Q4”（年份加 Q1–Q4）")
    return quarter.strip()


def check_rate(rate) -> int:
    if not isinstance(rate, int) or isinstance(rate, bool) or not MIN_RATE <= rate <= MAX_RATE:
        raise refuse("spotcheck.rate_invalid", f"抽查比例须为 {MIN_RATE}–{MAX_RATE} 之间的整数（百分比）")
    return rate


def normalize_seed(seed) -> str:
    """Decimal digits read from dice, spaces and line breaks between groups allowed and dropped."""
    digits = re.sub(r"\s+", "", seed) if isinstance(seed, str) else ""
    if not digits.isascii() or not digits.isdigit():
        raise refuse("spotcheck.seed_invalid", "随机数只能由十进制数字组成（掷骰子读出的数字，可用空格分组）")
    if not MIN_SEED_DIGITS <= len(digits) <= MAX_SEED_DIGITS:
        raise refuse("spotcheck.seed_invalid",
                      f"随机数须为 {MIN_SEED_DIGITS}–{MAX_SEED_DIGITS} 位数字（现为 {len(digits)} 位），建议至少 24 位")
    return digits


def serialize_population(quarter: str, rate_percent: int, entries, known_unique: bool = False) -> Population:
    """The population file and its digest. `entries` are (case_no, staff_no) in canonical order.
    `known_unique`: the caller read the case numbers from the database, where they are UNIQUE, so
    the duplicate check (a third of the time for a million rows) is skipped."""
    quarter, rate_percent = check_quarter(quarter), check_rate(rate_percent)
    rows = entries if isinstance(entries, list) else list(entries)
    try:
        body = "\n".join(map("\t".join, rows)) + "\n" if rows else ""
    except TypeError:
        raise refuse("spotcheck.population_invalid", "办件编号和工号须为文本")
    # Checked on the whole text at once (a million rows in a fraction of a second): each line is
    # two non-empty fields and one TAB, and no field holds a comma or CR.
    if (body.count("\t") != len(rows) or body.count("\n") != len(rows) or "," in body or "\r" in body
            or "\t\n" in body or "\n\t" in body or body.startswith("\t")):
        raise refuse("spotcheck.population_invalid", "办件编号或工号为空，或含有制表符、换行符、回车符、逗号")
    if not known_unique and len(set(map(itemgetter(0), rows))) != len(rows):
        seen, twice = set(), ""
        for c, _ in rows:
            if c in seen:
                twice = c
                break
            seen.add(c)
        raise refuse("spotcheck.population_invalid", f"办件编号重复：{twice}")
    data = (f"{POPULATION_MAGIC}\t{quarter}\t{rate_percent}\n" + body).encode("utf-8")
    return Population(quarter, rate_percent, rows, data, hashlib.sha256(data).hexdigest())


def parse_population(data: bytes) -> Population:
    """Read an exported population file back (the CLI); the digest is of the bytes as given."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise refuse("spotcheck.population_invalid", "总体文件不是 UTF-8 文本")
    if not text.endswith("\n"):
        raise refuse("spotcheck.population_invalid", "总体文件须以换行符结尾")
    lines = text[:-1].split("\n")
    header = lines[0].split("\t")
    if len(header) != 3 or header[0] != POPULATION_MAGIC or not header[2].isdigit():
        raise refuse("spotcheck.population_invalid", f"总体文件首行应为“{POPULATION_MAGIC}<TAB>季度<TAB>比例”")
    pairs = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 2:
            raise refuse("spotcheck.population_invalid", f"总体文件第 {number} 行应为“办件编号<TAB>工号”")
        pairs.append((fields[0], fields[1]))
    population = serialize_population(header[1], int(header[2]), pairs)
    if population.data != data:  # e.g. a rate written "020", or CR LF line ends
        raise refuse("spotcheck.population_invalid", "总体文件不是规范格式（重新序列化后字节不同）")
    return population


def ticket(seed: str, digest: str, case_no: str) -> bytes:
    return hashlib.sha256(f"{seed},{digest},{case_no}".encode("utf-8")).digest()


def _smallest(tickets: list[bytes], case_nos: list[str], n: int) -> list[tuple[bytes, str]]:
    """The n smallest (ticket, case_no) pairs, smallest first — what sorted(zip(...))[:n] gives —
    without sorting a whole stratum. Tickets are uniform, so the n smallest lie below a threshold a
    little above the n/m quantile; if fewer than n fall below it, everything is sorted."""
    m = len(tickets)
    if n == 0:
        return []
    pairs = None
    fraction = (n + 6 * n ** 0.5 + 16) / m
    if fraction < 0.9:
        bound = int(fraction * 2 ** 32).to_bytes(4, "big")  # t < bound (bytes order) ⇔ t < bound·2^224
        below = [pair for pair in zip(tickets, case_nos) if pair[0] < bound]
        if len(below) >= n:
            pairs = below
    if pairs is None:
        pairs = list(zip(tickets, case_nos))
    pairs.sort(key=itemgetter(0))  # by ticket alone: faster than comparing pairs
    head = [t for t, _ in pairs[:n + 1]]
    if any(map(eq, head, head[1:])):  # equal tickets (a SHA-256 collision) at or above the cut
        pairs.sort()  # the smaller case number first
    return pairs[:n]


def draw(population: Population, seed: str) -> Draw:
    """Each approver's n cases with the smallest tickets. Ranking by SHA-256 values (a random
    oracle's independent uniform keys) gives every n-subset of a stratum the same chance."""
    seed = normalize_seed(seed)
    copy = hashlib.sha256(f"{seed},{population.digest},".encode("utf-8")).copy  # the prefix hashed once
    by_approver: dict[str, list[str]] = {}
    # The canonical file lists each approver's cases together; a file that does not still draws right.
    for staff_no, rows in groupby(population.entries, itemgetter(1)):
        by_approver.setdefault(staff_no, []).extend(map(itemgetter(0), rows))
    strata = []
    for staff_no in sorted(by_approver):
        case_nos = by_approver[staff_no]
        tickets = []
        append = tickets.append
        for case_no in "\n".join(case_nos).encode("utf-8").split(b"\n"):  # UTF-8 of each, in one go
            h = copy()
            h.update(case_no)
            append(h.digest())
        smallest = _smallest(tickets, case_nos, sample_size(len(case_nos), population.rate_percent))
        strata.append(Stratum(staff_no, len(case_nos), smallest))
    return Draw(population.quarter, population.rate_percent, population.digest, seed, tuple(strata))


def format_draw(result: Draw) -> str:
    """The draw result file, and exactly what the CLI prints."""
    lines = [DRAW_MAGIC, f"quarter\t{result.quarter}", f"rate_percent\t{result.rate_percent}",
             f"population_sha256\t{result.digest}", f"seed\t{result.seed}",
             f"population\t{sum(s.count for s in result.strata)}", f"sample\t{result.size}"]
    for stratum in result.strata:
        lines.append(f"stratum\t{stratum.staff_no}\t{stratum.count}\t{len(stratum.drawn)}")
        lines.extend(f"draw\t{stratum.staff_no}\t{rank}\t{case_no}\t{t.hex()}"
                     for rank, (t, case_no) in enumerate(stratum.drawn, start=1))
    return "\n".join(lines) + "\n"
