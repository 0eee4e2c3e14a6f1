"""Auditors finding and taking decisions (issue 10): the search's filters, order and pagination, the
Excel list, the ZIP of a result (manifest, README, root, verifiable PDFs), the one-time HTTP export
link, and the read-only audit-log view."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone
from itertools import product

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from openpyxl import load_workbook
from sqlmodel import select

from app.db import transaction
from app.models import AuditEvent, Case, Decision, SecurityKey
from app.rules.supervision import audit_log
from app.rules.calendar import clock
from app.rules.supervision import decision_archive
from app.rules.supervision import decision_search
from app.rules.counter import decisions
from app.rules.supervision import exports
from app.rules.people import keys
from app.rules.people.key_state import mark_suspect
from app.rules.principal import Principal
from app.signing import pki, proof
from tests import flows

BJ = clock.BEIJING
ITEMS = ("370303-SCZT-001", "370303-SHSW-002")
APPROVERS = ("S001", "S002", "S003")
OUTCOMES = ("approved", "refused", "not_accepted")
APPLICANTS = ("张伟", "张伟明", "淄博鑫源商贸有限公司", "李秀英", "=HYPERLINK(\"http://x\")", "Zhang_Wei%")


def last_event(action: str | None = None) -> AuditEvent:
    with transaction() as s:
        query = select(AuditEvent).order_by(AuditEvent.seq.desc())
        if action:
            query = query.where(AuditEvent.action == action)
        return s.exec(query).first()


@pytest.fixture()
def auditor(db):
    """P001 (auditor) signed in with a registered key; A001 (admin and auditor) too."""
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "P001")
    return flows.sign_in("P001", key), admin, admin_key


def insert_decisions(specs: list[dict]) -> list[dict]:
    """Decision rows (no PDF files) straight into the tables, for the search only: each spec has
    approver (staff no), item (code), outcome, at (aware datetime), applicant."""
    out = []
    officers = {staff_no: flows.officer_id(staff_no) for staff_no in APPROVERS}
    items = {code: flows.item_id(code) for code in ITEMS}
    with transaction() as s:
        keys = {}
        for staff_no in APPROVERS:
            officer = officers[staff_no]
            key = SecurityKey(officer_id=officer, credential_id=f"test-{staff_no}".encode())
            s.add(key)
            s.flush()
            keys[staff_no] = (officer, key.id)
        for n, spec in enumerate(specs):
            officer, key_id = keys[spec["approver"]]
            at = spec["at"].astimezone(timezone.utc)
            case = Case(case_no=f"SL{at.astimezone(BJ):%Y%m%d}{900000 + n:06d}", item_id=items[spec["item"]],
                        item_revision=1, approver_id=officer, applicant_name=spec["applicant"],
                        applicant_id_type="居民身份证", applicant_id_masked="1101**********002X",
                        state="decided", outcome=spec["outcome"], decided_at=at)
            s.add(case)
            s.flush()
            decision = Decision(case_id=case.id, outcome=spec["outcome"], document_number=f"测试〔2025〕{n + 1}号",
                                verification_code=f"T{n:015d}", decided_at=at, approver_id=officer, key_id=key_id,
                                payload="{}", payload_sha256="0" * 64, sign_count=n, document_sha256="0" * 64,
                                pdf_sha256=hashlib.sha256(f"{n}".encode()).hexdigest(), pdf_size=1000)
            s.add(decision)
            s.flush()
            out.append({**spec, "decision_id": decision.id, "case_id": case.id, "case_no": case.case_no,
                        "number": decision.document_number, "at": at})
    return out


def expected(rows: list[dict], keep) -> list[int]:
    return [r["decision_id"] for r in sorted((r for r in rows if keep(r)), key=lambda r: (r["at"], r["case_id"]),
                                             reverse=True)]


def all_ids(principal, form: dict, size: int = 7) -> list[int]:
    """Every page of a search, in order, checking the page arithmetic on the way."""
    first = decision_search.search(principal, form, 1, size)
    ids = [r.decision_id for r in first.rows]
    for page in range(2, first.pages + 1):
        result = decision_search.search(principal, form, page, size)
        assert (result.page, result.total, result.pages) == (page, first.total, first.pages)
        ids += [r.decision_id for r in result.rows]
    assert len(ids) == first.total and not first.capped
    return ids


def beijing(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}:00").replace(tzinfo=BJ)


@pytest.fixture()
def sample(auditor):
    """54 decisions: every approver × item × outcome, on three days; two fall either side of
    Beijing midnight on the same UTC date, and some share a decided_at (ties)."""
    specs = []
    days = ("2025-03-01", "2025-03-02", "2025-03-03")
    for n, (approver, item, outcome, day) in enumerate(product(APPROVERS, ITEMS, OUTCOMES, days)):
        specs.append({"approver": approver, "item": item, "outcome": outcome,
                      "at": beijing(day, f"{9 + n % 8:02d}:{(n * 7) % 60:02d}"),
                      "applicant": APPLICANTS[n % len(APPLICANTS)]})
    specs[0]["at"] = beijing("2025-03-01", "23:30")  # 15:30 UTC on 03-01
    specs[1]["at"] = beijing("2025-03-02", "00:10")  # 16:10 UTC on 03-01, but Beijing 03-02
    specs[2]["at"] = specs[3]["at"] = specs[4]["at"] = beijing("2025-03-02", "10:00")  # a tie
    return auditor[0], insert_decisions(specs)


def test_each_filter_finds_exactly_its_decisions_newest_first(sample):
    principal, rows = sample
    day = lambda r: r["at"].astimezone(BJ).date().isoformat()  # noqa: E731
    s002, item2 = flows.officer_id("S002"), flows.item_id(ITEMS[1])
    cases = [
        ({}, lambda r: True),
        ({"date_from": "2025-03-02"}, lambda r: day(r) >= "2025-03-02"),
        ({"date_to": "2025-03-01"}, lambda r: day(r) <= "2025-03-01"),
        ({"date_from": "2025-03-02", "date_to": "2025-03-02"}, lambda r: day(r) == "2025-03-02"),
        ({"approver_id": str(s002)}, lambda r: r["approver"] == "S002"),
        ({"item_id": str(item2)}, lambda r: r["item"] == ITEMS[1]),
        ({"outcome": "refused"}, lambda r: r["outcome"] == "refused"),
        ({"document_number": rows[5]["number"]}, lambda r: r is rows[5]),
        ({"case_no": rows[7]["case_no"].lower()}, lambda r: r is rows[7]),  # case numbers are upper case
        ({"applicant": "张伟"}, lambda r: "张伟" in r["applicant"]),
        ({"applicant": "鑫源商贸"}, lambda r: "鑫源商贸" in r["applicant"]),
        ({"applicant": "zhang_w"}, lambda r: "zhang_w" in r["applicant"].lower()),  # _ and % are literal
        ({"applicant": "g_W"}, lambda r: "g_w" in r["applicant"].lower()),
        ({"applicant": "=HYP"}, lambda r: r["applicant"].startswith("=HYP")),
        ({"item_id": str(item2), "approver_id": str(s002), "outcome": "approved", "date_from": "2025-03-02"},
         lambda r: r["item"] == ITEMS[1] and r["approver"] == "S002" and r["outcome"] == "approved"
         and day(r) >= "2025-03-02"),
        ({"item_id": str(item2), "applicant": "张伟", "date_to": "2025-03-02"},
         lambda r: r["item"] == ITEMS[1] and "张伟" in r["applicant"] and day(r) <= "2025-03-02"),
        ({"approver_id": str(s002), "outcome": "not_accepted"},
         lambda r: r["approver"] == "S002" and r["outcome"] == "not_accepted"),
    ]
    for form, keep in cases:
        want = expected(rows, keep)
        assert want, form  # every case selects something
        assert all_ids(principal, form) == want, form
    # Beijing midnight: the 23:30 decision is on 03-01, the 00:10 one (same UTC date) on 03-02.
    march_2 = all_ids(principal, {"date_from": "2025-03-02", "date_to": "2025-03-02"})
    assert rows[1]["decision_id"] in march_2 and rows[0]["decision_id"] not in march_2
    # A row carries what the table shows.
    row = decision_search.search(principal, {"document_number": rows[5]["number"]}).rows[0]
    assert (row.case_no, row.item_code, row.approver_staff_no, row.outcome) == (
        rows[5]["case_no"], rows[5]["item"], rows[5]["approver"], rows[5]["outcome"])


def test_a_common_applicant_term_finds_the_same_by_either_path(sample, monkeypatch):
    """On PostgreSQL a common term is scanned for in time order instead of through the index of
    pieces (decision_search._share); the result is the same."""
    principal, rows = sample
    forms = ({"applicant": "张伟"}, {"applicant": "商贸", "outcome": "approved"}, {"applicant": "Zhang"})
    through_index = [all_ids(principal, form) for form in forms]
    monkeypatch.setattr(decision_search, "BROAD_SHARE", 0.0)
    assert [all_ids(principal, form) for form in forms] == through_index and all(through_index)


def test_pages_are_stable_complete_and_the_deep_ones_read_from_the_other_end(sample):
    principal, rows = sample
    full = expected(rows, lambda r: True)
    for size in (1, 5, 7, 20, 54, 100):
        assert all_ids(principal, {}, size) == full
    last = decision_search.search(principal, {}, 10**6, 20)  # past the end: the last page
    assert (last.page, last.pages, [r.decision_id for r in last.rows]) == (3, 3, full[40:])
    assert decision_search.search(principal, {}, "2", 20).page == 2
    empty = decision_search.search(principal, {"applicant": "无此人名"})
    assert (empty.rows, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)


def test_a_broad_search_is_counted_up_to_the_cap(sample, monkeypatch):
    principal, rows = sample
    monkeypatch.setattr(decision_search, "COUNT_CAP", 10)
    full = expected(rows, lambda r: True)
    page = decision_search.search(principal, {}, 1, 4)
    assert (page.total, page.capped, page.pages) == (10, True, 3)
    assert [r.decision_id for r in decision_search.search(principal, {}, 3, 4).rows] == full[8:10]
    narrow = decision_search.search(principal, {"outcome": "refused", "date_from": "2025-03-03"}, 1, 4)
    assert not narrow.capped and narrow.total == len(expected(
        rows, lambda r: r["outcome"] == "refused" and r["at"].astimezone(BJ).date().isoformat() == "2025-03-03"))


@pytest.mark.parametrize("form, code", [
    ({"date_from": "2025-13-01"}, "search.invalid_date"),
    ({"date_to": "yesterday"}, "search.invalid_date"),
    ({"date_from": "1999-12-31"}, "search.invalid_date"),
    ({"date_from": "2025-03-02", "date_to": "2025-03-01"}, "search.invalid_date"),
    ({"date_from": 20250301}, "search.invalid_date"),
    ({"outcome": "revoked"}, "search.invalid"),
    ({"approver_id": "1 OR 1=1"}, "search.invalid"),
    ({"approver_id": {"x": 1}}, "search.invalid"),
    ({"item_id": "-3"}, "search.invalid"),
    ({"item_id": True}, "search.invalid"),
    ({"applicant": "张"}, "search.applicant_short"),
    ({"applicant": "张" * 101}, "search.invalid"),
    ({"document_number": ["a"]}, "search.invalid"),
    ({"case_no": "S" * 33}, "search.invalid"),
])
def test_bad_input_is_refused_and_changes_nothing(auditor, form, code):
    principal = auditor[0]
    flows.assert_refused(lambda: decision_search.search(principal, form), code, audited=False)
    flows.assert_refused(lambda: decision_search.export_xlsx(principal, form), code, audited=False)
    flows.assert_refused(lambda: decision_archive.build(principal, form), code, audited=False)


def test_page_size_is_at_most_100(auditor):
    principal = auditor[0]
    assert decision_search.search(principal, {}, 1, 100).page_size == 100
    for size in (101, 0, "abc", -5, 10**12):
        flows.assert_refused(lambda: decision_search.search(principal, {}, 1, size), "search.invalid", audited=False)


def test_only_auditors_search_export_or_read_the_log(auditor):
    _, admin, admin_key = auditor
    approver = flows.sign_in("S001", flows.register_key(admin, admin_key, "S001"))
    for fn in (lambda: decision_search.search(approver, {}), lambda: decision_search.export_xlsx(approver, {}),
               lambda: decision_archive.build(approver, {}), lambda: audit_log.search(approver, {}),
               lambda: decision_search.approvers(approver), lambda: decision_search.items(approver),
               lambda: audit_log.officers(approver)):
        flows.assert_refused(fn, "role.denied", audited=False)


def test_excel_list_holds_the_whole_result_as_text_and_is_audited_when_handed_over(sample, monkeypatch):
    principal, rows = sample
    form = {"item_id": str(flows.item_id(ITEMS[0]))}
    prepared = decision_search.export_xlsx(principal, form)
    want = expected(rows, lambda r: r["item"] == ITEMS[0])
    assert prepared.count == len(want) and prepared.filename.endswith(f"{len(want)}条.xlsx")
    token = exports.issue_token(principal, prepared.file_id)
    delivery = exports.redeem(token, flows.COOKIES[principal.session_id])
    data = delivery.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == prepared.sha256 == delivery.sha256
    sheet = load_workbook(io.BytesIO(data)).active
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == decision_search.EXPORT_COLUMNS
    by_number = {r["number"]: r for r in rows}
    assert [by_number[t[0]]["decision_id"] for t in table[1:]] == want  # same order as the page
    formula = next(c for row in sheet.iter_rows(min_row=2) for c in row if str(c.value).startswith("=HYP"))
    assert formula.data_type == "s" and formula.quotePrefix  # text, never a live formula
    event = last_event()
    assert event.action == "decision.list_exported" and event.actor_id == principal.officer_id
    assert event.details["count"] == len(want) and event.details["sha256"] == prepared.sha256
    assert event.details["filters"] == {"item_id": flows.item_id(ITEMS[0])}
    # Too many to export, or none: refused before anything is written.
    monkeypatch.setattr(decision_search, "MAX_EXPORT_ROWS", 3)
    flows.assert_refused(lambda: decision_search.export_xlsx(principal, {}), "search.too_many", audited=False)
    flows.assert_refused(lambda: decision_search.export_xlsx(principal, {"applicant": "无此人名"}), "search.empty",
                         audited=False)


@pytest.fixture()
def signed(auditor):
    """Three real decisions by S001: an approval, a refusal (不予许可) and a 不予受理."""
    principal, admin, admin_key = auditor
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    made = [flows.sign_case(approver, key, flows.accept_case(approver))]
    case = flows.accept_case(approver)
    met = flows.conditions(case)
    request = decisions.prepare(approver, case.id, met[:-1], "经审查，经营场所不符合要求，不同意许可。",
                                {str(met[-1]): "经营场所与登记地址不一致"})
    made.append(decisions.complete(approver, request.challenge_id, key.get(request.options_json)))
    case = flows.cases.register_not_accepted(approver, flows.item_id(ITEMS[0]), "淄博不予受理测试店", "居民身份证",
                                             flows.VALID_ID, "not_organ", "不属于本机关管辖", True)
    request = decisions.prepare(approver, case.id, [], "经审查，不属于本机关管辖，不予受理。")
    made.append(decisions.complete(approver, request.challenge_id, key.get(request.options_json)))
    return principal, made


def test_a_decided_case_repeats_its_decisions_time_approver_and_outcome(signed):
    """The search runs from case_file when a case filter is set (decision_search._matching): that
    is sound only while every kind of decision writes these three on its case, in one transaction."""
    _, made = signed
    assert sorted(d.outcome for d in made) == ["approved", "not_accepted", "refused"]
    with transaction() as s:
        for decision in made:
            case = s.get(Case, decision.case_id)
            assert (case.decided_at, case.approver_id, case.outcome) == (
                decision.decided_at, decision.approver_id, decision.outcome)
        undecided = s.exec(select(Case).where(Case.decided_at.is_not(None),
                                              Case.id.not_in(select(Decision.case_id)))).all()
        assert undecided == []


def root_der() -> bytes:
    return pki.bureau().root.public_bytes(Encoding.DER)


def test_zip_holds_every_pdf_with_its_digest_a_readme_and_the_root(signed):
    principal, made = signed
    seen = []
    prepared = decision_archive.build(principal, {}, lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)] and prepared.count == 3
    token = exports.issue_token(principal, prepared.file_id)
    delivery = exports.redeem(token, flows.COOKIES[principal.session_id])
    data = delivery.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == prepared.sha256
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert {"manifest.csv", "manifest.json", "README.txt", "root.pem"} <= set(names)
    assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["count"] == 3 and [e["decision_id"] for e in manifest["decisions"]] == [d.id for d in reversed(made)]
    for entry, decision in zip(manifest["decisions"], reversed(made)):
        pdf = archive.read(entry["file"])
        assert entry["sha256"] == hashlib.sha256(pdf).hexdigest() == decision.pdf_sha256
        assert entry["document_number"] == decision.document_number and entry["file"].startswith("决定书/")
        assert entry["staff_no"] == "S001" and entry["size"] == len(pdf)
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert [(r["文号"], r["SHA-256"]) for r in rows] == [(e["document_number"], e["sha256"]) for e in manifest["decisions"]]
    assert archive.read("root.pem") == pki.bureau().root_pem
    assert manifest["root_sha256"] == hashlib.sha256(root_der()).hexdigest()
    readme = archive.read("README.txt").decode("utf-8-sig")
    assert "python -m app.signing.verify" in readme and "--root root.pem" in readme and manifest["root_sha256"] in readme
    assert "bureau.crl" not in names and "尚未发布吊销列表" in readme  # no key revoked yet: no CRL
    verdict = proof.check_file(archive.read(manifest["decisions"][0]["file"]), root_der())
    assert verdict.valid, verdict.checks
    event = last_event()
    assert event.action == "decision.exported" and event.details["count"] == 3
    assert event.details["sha256"] == prepared.sha256 and event.details["decision_ids"] == [d.id for d in reversed(made)]


def test_zip_carries_the_newest_crl_and_says_which_decisions_it_covers(signed, auditor):
    principal, _ = signed
    _, admin, admin_key = auditor
    # Revoking another approver's key (it has a certificate) publishes a CRL dated after the decisions.
    flows.register_key(admin, admin_key, "S002")
    flows.step_up(admin, admin_key)
    keys.revoke_key(admin, _key_of("S002"), "测试吊销")
    prepared = decision_archive.build(principal, {})
    archive = zipfile.ZipFile(exports.export_dir() / f"{prepared.file_id}.zip")
    crl = archive.read("bureau.crl")
    manifest = json.loads(archive.read("manifest.json"))
    assert all(e["crl_after_decision"] for e in manifest["decisions"])
    pdf = archive.read(manifest["decisions"][0]["file"])
    verdict = proof.check_file(pdf, root_der(), crl)
    assert verdict.valid, verdict.checks
    assert "--crl bureau.crl" in archive.read("README.txt").decode("utf-8-sig")


def _key_of(staff_no: str) -> int:
    with transaction() as s:
        return s.exec(select(SecurityKey.id).where(SecurityKey.officer_id == flows.officer_id(staff_no))).first()


def test_zip_refuses_too_many_none_and_a_changed_pdf(signed, monkeypatch):
    principal, made = signed
    flows.assert_refused(lambda: decision_archive.build(principal, {"applicant": "无此人名"}), "search.empty",
                         audited=False)
    monkeypatch.setattr(decision_archive, "MAX_DECISIONS", 2)
    flows.assert_refused(lambda: decision_archive.build(principal, {}), "search.too_many", audited=False)
    monkeypatch.setattr(decision_archive, "MAX_DECISIONS", 5)
    from app import storage

    path = storage.store().path(decisions.pdf_key(made[0].pdf_sha256))  # the local folder (the default)
    original = path.read_bytes()
    try:
        path.write_bytes(original[:1000] + bytes([original[1000] ^ 1]) + original[1001:])
        flows.assert_refused(lambda: decision_archive.build(principal, {}), "decision.pdf_corrupt", audited=False)
        assert not list(exports.export_dir().glob("*.part"))  # the half-written archive is gone
    finally:
        path.write_bytes(original)


def test_export_link_is_one_time_short_lived_and_bound_to_the_session_cookie(signed, monkeypatch):
    principal, _ = signed
    prepared = decision_archive.build(principal, {})
    cookie = flows.COOKIES[principal.session_id]
    before = last_event().seq

    def refused(token, cookie_header, code):
        flows.assert_refused(lambda: exports.redeem(token, cookie_header), code, audited=True)

    token = exports.issue_token(principal, prepared.file_id)
    refused(token, "", "decision.export_not_signed_in")  # no cookie: refused, and the token is spent
    refused(token, cookie, "decision.export_link_invalid")
    token = exports.issue_token(principal, prepared.file_id)
    name, _ = cookie.split("=", 1)
    refused(token, f"{name}=wrong-secret", "decision.export_not_signed_in")
    refused("x" * 43, cookie, "decision.export_link_invalid")
    refused("../../etc/passwd", cookie, "decision.export_link_invalid")
    token = exports.issue_token(principal, prepared.file_id)
    monkeypatch.setattr(exports.time, "time", lambda: datetime.now().timestamp() + exports.TOKEN_TTL_SECONDS + 1)
    refused(token, cookie, "decision.export_link_invalid")  # expired
    monkeypatch.undo()
    with transaction() as s:  # no export was handed over
        assert not s.exec(select(AuditEvent).where(AuditEvent.seq > before,
                                                   AuditEvent.action == "decision.exported")).first()
    token = exports.issue_token(principal, prepared.file_id)
    assert exports.redeem(token, cookie).sha256 == prepared.sha256
    refused(token, cookie, "decision.export_link_invalid")  # used


def test_another_officer_cannot_get_a_link_to_the_file(signed, auditor):
    principal, _ = signed
    _, admin, _ = auditor
    prepared = decision_archive.build(principal, {})
    flows.assert_refused(lambda: exports.issue_token(admin, prepared.file_id), "export.gone", audited=False)
    flows.assert_refused(lambda: exports.issue_token(principal, "0" * 32), "export.gone", audited=False)
    flows.assert_refused(lambda: exports.issue_token(principal, "../x"), "export.gone", audited=False)


def _asgi_get(path: str, cookie: str = "", method: str = "GET") -> tuple[int, dict, bytes]:
    from app.http import security_layer

    async def inner(scope, receive, send):  # Reflex's app: never reached for /api/exports/
        raise AssertionError("passed through")

    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    headers = [(b"cookie", cookie.encode())] if cookie else []
    asyncio.run(security_layer(inner)({"type": "http", "method": method, "path": path, "headers": headers},
                                      receive, send))
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_http_export_route_streams_once_with_the_cookie_only(signed):
    principal, _ = signed
    prepared = decision_archive.build(principal, {})
    cookie = flows.COOKIES[principal.session_id]
    token = exports.issue_token(principal, prepared.file_id)
    status, headers, body = _asgi_get(f"/api/exports/{token}")  # no cookie
    assert status == 403 and "请登录" in body.decode() and headers[b"x-frame-options"] == b"DENY"
    token = exports.issue_token(principal, prepared.file_id)
    assert _asgi_get(f"/api/exports/{token}", cookie, method="POST")[0] == 403
    status, _, _ = _asgi_get("/api/exports/not-a-token", cookie)
    assert status == 403
    token = exports.issue_token(principal, prepared.file_id)
    status, headers, body = _asgi_get(f"/api/exports/{token}", cookie)
    assert status == 200 and hashlib.sha256(body).hexdigest() == prepared.sha256
    assert headers[b"content-type"] == b"application/zip" and int(headers[b"content-length"]) == len(body)
    assert headers[b"content-disposition"].startswith(b"attachment; filename=") and b"UTF-8''" in headers[b"content-disposition"]
    assert headers[b"cache-control"] == b"no-store"
    assert _asgi_get(f"/api/exports/{token}", cookie)[0] == 403  # used


def test_expired_files_are_swept(signed):
    principal, _ = signed
    prepared = decision_archive.build(principal, {})
    assert exports.sweep(datetime.now().timestamp() + exports.FILE_TTL_SECONDS + 10) >= 2  # the file and its record
    flows.assert_refused(lambda: exports.issue_token(principal, prepared.file_id), "export.gone", audited=False)


def test_audit_log_filters_by_group_officer_and_date(signed, auditor):
    principal, made = signed
    _, admin, _ = auditor
    decisions.pdf_for(principal, made[0].id)  # a download
    with pytest.raises(Exception):
        exports.redeem("y" * 43, "")  # a refusal
    mark_suspect(_key_of("S001"), 9, 3)  # a suspected clone
    s001, p001 = flows.officer_id("S001"), flows.officer_id("P001")

    def actions(form, size=100):
        page = audit_log.search(principal, form, 1, size)
        return page, [(e.action, e.actor, e.subject) for e in page.rows]

    page, rows = actions({"group": "signins"})
    assert rows and all(a.startswith("session.") or (a == "refused" and s.startswith("signin.")) for a, _, s in rows)
    assert any(a == "session.signed_in" and "刘芳（P001）" == actor for a, actor, _ in rows)
    assert page.rows[0].action_name in ("登录", "退出登录", "操作被拒绝")
    _, rows = actions({"group": "keys"})
    assert {"key.registered"} <= {a for a, _, _ in rows} and all(a.split(".")[0] in ("key", "enrollment", "authorization", "attestation") for a, _, _ in rows)
    _, rows = actions({"group": "stepups"})
    assert rows and {a for a, _, _ in rows} == {"stepup.confirmed"}
    _, rows = actions({"group": "refusals"})
    assert rows and {a for a, _, _ in rows} == {"refused"} and rows[0][2] == "decision.export_download"
    _, rows = actions({"group": "clones"})
    assert [a for a, _, _ in rows] == ["key.sign_count_regression"]
    _, rows = actions({"group": "downloads"})
    assert {a for a, _, _ in rows} == {"decision.downloaded"} and rows[0][2] == f"决定 {made[0].document_number}"
    _, rows = actions({"officer_id": str(s001)})
    assert rows and all(actor == "张晓梅（S001）" or subject == "人员 张晓梅（S001）" for _, actor, subject in rows)
    assert any(a == "decision.signed" for a, _, _ in rows)
    _, rows = actions({"officer_id": str(p001), "group": "signins"})
    assert rows and all(actor == "刘芳（P001）" or subject == "人员 刘芳（P001）" for _, actor, subject in rows)
    today = clock.today()
    assert actions({"date_from": (today + timedelta(days=1)).isoformat()})[1] == []
    assert actions({"date_to": (today - timedelta(days=1)).isoformat()})[1] == []
    everything, _ = actions({"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert everything.total == last_event().seq  # every event today, newest first
    # Pages of the log, newest first and complete.
    seqs = []
    for n in range(1, audit_log.search(principal, {}, 1, 10).pages + 1):
        seqs += [e.seq for e in audit_log.search(principal, {}, n, 10).rows]
    assert seqs == list(range(last_event().seq, 0, -1))
    for form, code in (({"group": "bogus"}, "search.invalid"), ({"officer_id": "x"}, "search.invalid"),
                       ({"date_from": "2025-02-30"}, "search.invalid_date")):
        flows.assert_refused(lambda: audit_log.search(principal, form), code, audited=False)


def test_audit_details_are_one_short_line():
    assert audit_log.details_text({"decision_ids": list(range(100)), "b": "x"}) == "b: x；decision_ids: [100 项]"
    assert len(audit_log.details_text({"note": "长" * 1000})) == audit_log.DETAIL_CHARS
    assert audit_log.action_name("key.registered") == "登记密钥" and audit_log.action_name("new.thing") == "new.thing"
    assert audit_log._short("export:" + "ab" * 32) == "导出文件 SHA-256 " + "ab" * 8 + "…"
    assert audit_log._short("case:12") == "case:12"


def test_file_names_in_the_archive_are_safe_and_unique():
    taken: set[str] = set()
    assert decision_archive.file_name("张行审许字〔2025〕1号", taken) == "决定书/张行审许字〔2025〕1号.pdf"
    assert decision_archive.file_name("a/../b:c", taken) == "决定书/a_.._b_c.pdf"
    assert decision_archive.file_name("a/../b:c", taken) == "决定书/a_.._b_c-2.pdf"
    assert decision_archive.file_name("..", taken) == "决定书/决定书.pdf"
