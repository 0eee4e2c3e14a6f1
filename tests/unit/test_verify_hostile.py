"""Hostile uploads to the public /verify: bombs, deep nesting, huge object counts, damaged files
and malformed evidence are refused in Chinese, inside the sandbox, without growing this process."""

from __future__ import annotations

import base64
import functools
import json
import random
import re
import struct
import sys
import threading
import time
import zlib

import pytest

from app.rules import ratelimit

from app.rules.counter import decisions

from app.rules.counter import verification
from app.rules.errors import Refused
from app.signing import evidence, pades, pki, proof, sandbox, verify
from tests import flows

ROOT = pki.pki_dir() / pki.ROOT_FILE


def offline(pdf: bytes) -> proof.Verdict:
    """The strict verifier in this process, with the bureau's root, as the sandbox runs it."""
    return proof.check_file(pdf, proof.der_certificate(ROOT.read_bytes()))

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture()
def honest(db):
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    return decisions.read_pdf(flows.sign_case(approver, key, flows.accept_case(approver)))


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])


def assert_refused_in_chinese(exc: BaseException | None, code: str | None = None) -> None:
    assert isinstance(exc, Refused), repr(exc)
    assert CHINESE.search(exc.message), exc.message
    if code:
        assert exc.code == code, exc


# --- Hand-built PDFs ----------------------------------------------------------------------------

def pdf_classic(objects: list[bytes]) -> bytes:
    """Objects 1..n (1 is the catalog) and a classic xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_xref_stream(objects: list[bytes], rows, data_filter: bytes = b"", size: int | None = None) -> bytes:
    """Objects 1..n, then an xref stream (W [1 4 2]); rows(offsets, xref_offset) gives its entries."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    entries = rows(offsets, xref)
    data = b"".join(struct.pack(">BIH", *row) for row in entries) if isinstance(entries, list) else entries
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d %s >>\nstream\n"
            % (len(objects) + 1, size or len(entries), len(data), data_filter) + data + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(data: bytes, entries: bytes = b"/Filter /FlateDecode") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def second_revision(pdf: bytes) -> bytes:
    """One more revision writing the catalog (object 1) again: the evidence is read from a file's
    second revision, as attach_evidence makes it."""
    prev = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    size = int(re.search(rb"/Size (\d+)", pdf).group(1))
    catalog = pdf[pdf.index(b"1 0 obj\n") + 8:pdf.index(b"\nendobj", pdf.index(b"1 0 obj\n"))]
    offset = len(pdf)
    update = b"1 0 obj\n" + catalog + b"\nendobj\n"
    xref = offset + len(update)
    return (pdf + update + b"xref\n0 1\n0000000000 65535 f \n1 1\n%010d 00000 n \n" % offset
            + b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, prev, xref))


def with_evidence_stream(body: bytes) -> bytes:
    """The shape attach_evidence writes: /Names /EmbeddedFiles /Names [(name) filespec]."""
    return second_revision(pdf_classic([b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 3 0 R >> >>",
                        b"<< /Type /Pages /Kids [] /Count 0 >>",
                        b"<< /Names [(approval-evidence.json) 4 0 R] >>",
                        b"<< /Type /Filespec /F (approval-evidence.json) /EF << /F 5 0 R >> >>",
                        body]))


@functools.lru_cache(maxsize=1)
def bomb() -> bytes:
    """300 MB of zeros as one deflate stream (~300 KB), compressed piecewise so the test stays small."""
    deflate = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    return b"".join([deflate.compress(chunk) for _ in range(300)] + [deflate.flush()])


def hostile_files(honest_pdf: bytes) -> dict[str, tuple[bytes, str]]:
    """name → (file, expected refusal code)."""
    rng = random.Random(7)
    pages = b"<< /Type /Pages /Kids [] /Count 0 >>"
    object_stream = stream(bomb(), b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode")
    return {
        "evidence_bomb": (with_evidence_stream(stream(bomb(), b"/Type /EmbeddedFile /Filter /FlateDecode")),
                          "verify.evidence_too_large"),
        # The catalog sits in an object stream that pyHanko would have to inflate: a one-revision
        # file has no evidence revision, so it is refused before the stream is touched.
        "object_stream_bomb": (pdf_xref_stream([pages, object_stream],
                                               lambda offs, x: [(0, 0, 65535), (2, 2, 0), (1, offs[1], 0), (1, x, 0)]),
                               "verify.no_evidence"),
        # An xref stream claiming 40 million entries, inflating to 300 MB.
        "xref_stream_bomb": (pdf_xref_stream([b"<< /Type /Catalog >>"], lambda offs, x: bomb(),
                                             b"/Filter /FlateDecode", size=40_000_000), "verify.too_complex"),
        "unreferenced_bomb": (pdf_classic([b"<< /Type /Catalog /Pages 2 0 R >>", pages, stream(bomb())]),
                              "verify.no_evidence"),
        "deep_nesting": (second_revision(pdf_classic([b"<< /Type /Catalog /Names " + b"[" * 100_000
                                                     + b"]" * 100_000 + b" >>"])),
                         "verify.too_complex"),
        # 200,000 entries all naming one tiny object; unfiltered W [1 4 2] rows: 1.4 MB.
        "many_objects": (pdf_xref_stream([b"<< /Type /Catalog >>"],
                                         lambda offs, x: [(0, 0, 65535)] + [(1, offs[0], 0)] * 200_000 + [(1, x, 0)]),
                         "verify.too_many_objects"),
        "other_filter": (with_evidence_stream(stream(b"7b7d>", b"/Type /EmbeddedFile /Filter /ASCIIHexDecode")),
                         "verify.bad_filter"),
        "truncated": (honest_pdf[: len(honest_pdf) // 2], "verify.no_evidence"),
        "random_bytes": (b"%PDF-1.7\n" + rng.randbytes(200_000), "verify.no_evidence"),
        "too_large": (b"%PDF-1.7\n" + b"0" * evidence.MAX_UPLOAD, "verify.too_large"),
    }


# --- Finding 1: resource exhaustion -------------------------------------------------------------

def test_hostile_pdfs_are_refused_in_the_sandbox_without_growing_the_worker(honest):
    files = hostile_files(honest)
    for name, (pdf, code) in files.items():  # the in-process strict reader gives the same answers
        with pytest.raises(Refused) as exc:
            offline(pdf)
        assert exc.value.code == code, (name, exc.value)

    jobs = [files[name] for name in ("evidence_bomb", "object_stream_bomb", "xref_stream_bomb", "deep_nesting",
                                     "many_objects", "unreferenced_bomb", "truncated", "random_bytes")]
    outcomes: list[BaseException | None] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            verification.check_pdf(jobs[i][0])
        except BaseException as exc:  # noqa: BLE001 - the assertion below says which
            outcomes[i] = exc

    before = rss_kb()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    growth_mb = (rss_kb() - before) / 1024
    print(f"worker RSS growth over 8 concurrent hostile checks: {growth_mb:.1f} MB")
    for (pdf, code), outcome in zip(jobs, outcomes):
        assert_refused_in_chinese(outcome, code)
    assert growth_mb <= 50, f"worker grew by {growth_mb:.1f} MB"

    result = verification.check_pdf(honest)
    assert result.valid, [c for c in result.checks if not c.ok]
    assert result.record is not None


@pytest.mark.file_only
def test_sandbox_limits_time_memory_crashes_and_slots(honest, monkeypatch):
    python = sys.executable
    setup = "from app.signing.sandbox import limit_resources; limit_resources(); "
    monkeypatch.setattr(sandbox, "WALL_SECONDS", 2)
    for program, code in [("import time; time.sleep(30)", "verify.timeout"),  # wall clock: killed
                          (setup + "b = bytearray(1 << 30)", "verify.failed"),  # RLIMIT_AS: MemoryError
                          ("import os; os.abort()", "verify.failed"),
                          ("print('x' * 10_000_000)", "verify.failed"),  # oversized answer
                          ('print(\'{"refused": ["verify.x", 1]}\')', "verify.failed")]:
        monkeypatch.setattr(sandbox, "CHILD", [python, "-c", program])
        with pytest.raises(Refused) as exc:
            sandbox.check(honest)
        assert_refused_in_chinese(exc.value, code)
    monkeypatch.setattr(sandbox, "WALL_SECONDS", 20)
    monkeypatch.setattr(sandbox, "CHILD", [python, "-c", setup + "\nwhile True: pass"])
    started = time.monotonic()
    with pytest.raises(Refused) as exc:  # RLIMIT_CPU: SIGXCPU before the wall clock
        sandbox.check(honest)
    assert_refused_in_chinese(exc.value, "verify.timeout")
    assert time.monotonic() - started < sandbox.CPU_SECONDS + 3
    monkeypatch.undo()

    monkeypatch.setattr(sandbox, "QUEUE_SECONDS", 0.2)
    held = [sandbox._slots.acquire(timeout=1) for _ in range(sandbox.MAX_CHILDREN)]
    try:
        with pytest.raises(Refused) as exc:
            sandbox.check(honest)
        assert_refused_in_chinese(exc.value, "verify.busy")
    finally:
        for _ in held:
            sandbox._slots.release()


def test_one_honest_sandboxed_check_is_quick(honest):
    started = time.perf_counter()
    verdict = sandbox.check(honest, ROOT)
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert verdict.valid and json.loads(verdict.payload)["format"] == evidence.PAYLOAD_FORMAT
    print(f"honest sandboxed check: {elapsed_ms:.0f} ms")
    assert elapsed_ms < 3000


def test_rate_limits_per_client_address(db):
    ratelimit.reset()
    for _ in range(verification.LOOKUPS_PER_MINUTE):
        with pytest.raises(Refused) as exc:
            verification.by_code("0000000000000000", "203.0.113.7")
        assert exc.value.code == "verify.unknown_code"
    flows.assert_refused(lambda: verification.by_code("0000000000000000", "203.0.113.7"),
                         "verify.rate_limited", audited=False)
    flows.assert_refused(lambda: verification.by_code("0000000000000000", "203.0.113.8"),
                         "verify.unknown_code", audited=False)  # another client is not affected
    for _ in range(verification.UPLOADS_PER_MINUTE):
        with pytest.raises(Refused) as exc:
            verification.check_pdf(b"hello", "203.0.113.7")
        assert exc.value.code == "verify.not_pdf"
    exc = flows.assert_refused(lambda: verification.check_pdf(b"hello", "203.0.113.7"), "verify.rate_limited",
                               audited=False)
    assert "一分钟后" in exc.message
    flows.assert_refused(lambda: verification.check_pdf(b"hello", "203.0.113.8"), "verify.not_pdf", audited=False)
    ratelimit.reset()


# --- Finding 2: malformed evidence --------------------------------------------------------------

OTHER_TYPES = [0, 7, -1, "x", "", 1.5, [], ["a", 1], {}, {"a": 1}, None, True, False, 10 ** 30, 2 ** 64]
B64_FIELDS = ["challenge", "credential_id", "public_key_cose", "authenticator_data", "client_data_json",
              "signature"]


def paths(value, prefix=()):
    """Every path into a JSON value."""
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from paths(sub, prefix + (key,))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from paths(sub, prefix + (i,))


def get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def put(doc, path, value):
    get(doc, path[:-1])[path[-1]] = value


def delete(doc, path):
    del get(doc, path[:-1])[path[-1]]


class Mutator:
    """Evidence documents (bytes) that differ from the honest one in one structural way."""

    OPS = ["delete_field", "change_type", "lone_surrogate", "float_for_int", "bool_for_int", "duplicate_key",
           "bad_base64url", "huge_number", "deep_nesting", "extra_field", "non_canonical_payload", "truncated",
           "not_an_object", "wrong_bytes", "wrong_value"]

    def __init__(self, honest_raw: bytes, seed: int):
        self.evidence = json.loads(honest_raw)
        self.payload = json.loads(self.evidence["payload"])
        self.rng = random.Random(seed)

    def generate(self, n: int) -> list[tuple[str, bytes]]:
        return [(op, getattr(self, op)()) for op in (self.rng.choice(self.OPS) for _ in range(n))]

    def fresh(self) -> tuple[dict, dict]:
        return json.loads(json.dumps(self.evidence)), json.loads(json.dumps(self.payload))

    def target(self, ev: dict, payload: dict) -> tuple[dict, tuple]:
        """A random path in the evidence or in its payload."""
        doc = self.rng.choice([ev, payload])
        return doc, self.rng.choice(list(paths(doc)))

    @staticmethod
    def dump(ev: dict, payload: dict | None = None, surrogates: str = "escape") -> bytes:
        """As build_evidence writes it; a changed payload is put back as canonical JSON."""
        if payload is not None:
            ev["payload"] = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if surrogates == "raw":  # lone surrogates as (invalid) UTF-8 bytes
            return json.dumps(ev, ensure_ascii=False, indent=1).encode("utf-8", "surrogatepass")
        return json.dumps(ev, ensure_ascii=surrogates == "escape", indent=1).encode("utf-8")

    def mutated(self, ev, payload, doc, **kw) -> bytes:
        return self.dump(ev, payload if doc is payload else None, **kw)

    def with_text(self, ev, payload, doc, path, text: str) -> bytes:
        """Put raw JSON text (not a JSON value) at path, in the evidence or inside the payload string."""
        put(doc, path, "@@TEXT@@")
        out = self.mutated(ev, payload, doc).decode("utf-8")
        if doc is payload:
            return out.replace('\\"@@TEXT@@\\"', text.replace('"', '\\"')).encode("utf-8")
        return out.replace('"@@TEXT@@"', text).encode("utf-8")

    def delete_field(self):
        ev, payload = self.fresh()
        doc, path = self.target(ev, payload)
        delete(doc, path)
        return self.mutated(ev, payload, doc)

    def change_type(self):  # int, str, float, list, dict, null, bool for one another
        ev, payload = self.fresh()
        doc, path = self.target(ev, payload)
        old = get(doc, path)
        put(doc, path, self.rng.choice([v for v in OTHER_TYPES if type(v) is not type(old)]))
        return self.mutated(ev, payload, doc)

    def lone_surrogate(self):
        ev, payload = self.fresh()
        doc, path = self.target(ev, payload)
        put(doc, path, str(get(doc, path))[:6] + self.rng.choice(["\ud800", "\udfff", "\udc00x"]))
        return self.mutated(ev, payload, doc, surrogates=self.rng.choice(["escape", "raw"]))

    def float_for_int(self):
        ev, payload = self.fresh()
        path = self.rng.choice([("document", "length"), ("item", "revision")])
        put(payload, path, float(get(payload, path)) + self.rng.choice([0, 0.5]))
        return self.dump(ev, payload)

    def bool_for_int(self):
        ev, payload = self.fresh()
        put(payload, self.rng.choice([("document", "length"), ("item", "revision")]), self.rng.choice([True, False]))
        return self.dump(ev, payload)

    def duplicate_key(self):
        ev, payload = self.fresh()
        if self.rng.random() < 0.5:  # in the evidence: the honest value comes last and would win
            key = self.rng.choice(sorted(ev))
            text = self.dump(ev).decode("utf-8")
            return ("{" + json.dumps(key) + ': "AAAA", ' + text[1:]).encode("utf-8")
        key = self.rng.choice(sorted(payload))
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        ev["payload"] = "{" + json.dumps(key) + ':"x",' + body[1:]
        return self.dump(ev)

    def bad_base64url(self):
        ev, payload = self.fresh()
        doc, path = (payload, ("key", "credential_id")) if self.rng.random() < 0.15 \
            else (ev, (self.rng.choice(B64_FIELDS),))
        value = get(doc, path)
        i = self.rng.randrange(len(value))
        put(doc, path, self.rng.choice([
            value + "=", value + "==", value[:i] + "+" + value[i + 1:], value[:i] + "/" + value[i + 1:],
            value[:i] + " " + value[i:], value + "\n", value[:i] + "é" + value[i + 1:], value[:-1] + "=",
            value + "A" * (1 if len(value) % 4 == 0 else 5 - len(value) % 4),  # length ≡ 1 (mod 4)
            value[:-1] + {"A": "B", "Q": "R", "g": "h", "w": "x"}.get(value[-1], value[-1] + "A"),  # trailing bits
            "AAAA" * 5000]))  # over the binary cap
        return self.mutated(ev, payload, doc)

    def huge_number(self):
        ev, payload = self.fresh()
        doc, path = self.target(ev, payload)
        if self.rng.random() < 0.3:  # more digits than Python will parse
            return self.with_text(ev, payload, doc, path, "9" * self.rng.choice([4301, 20000]))
        put(doc, path, self.rng.choice([10 ** 30, 2 ** 64, -(2 ** 63), 2 ** 53 + 1, 1e308]))
        return self.mutated(ev, payload, doc)

    def deep_nesting(self):
        ev, payload = self.fresh()
        doc, path = self.target(ev, payload)
        depth = self.rng.choice([1_001, 10_000, 100_000])
        if self.rng.random() < 0.5:
            return self.with_text(ev, payload, doc, path, "[" * depth + "]" * depth)
        return self.with_text(ev, payload, doc, path, '{"a":' * depth + "1" + "}" * depth)

    def extra_field(self):
        ev, payload = self.fresh()
        doc = self.rng.choice([ev, payload, payload["document"], payload["approver"], payload["key"]])
        doc[self.rng.choice(["extra", "Format", "payload ", "__proto__", "\ud800"])] = 1
        return self.dump(ev, payload)

    def non_canonical_payload(self):
        ev, payload = self.fresh()
        ev["payload"] = json.dumps(payload, sort_keys=self.rng.random() < 0.5, ensure_ascii=self.rng.random() < 0.5,
                                   indent=self.rng.choice([None, 1]))
        return self.dump(ev)

    def truncated(self):
        raw = self.dump(*self.fresh())
        return raw[: self.rng.randrange(len(raw))]

    def wrong_bytes(self):  # well-formed base64url of bytes that are not what the field should hold
        ev, _ = self.fresh()
        field = self.rng.choice(B64_FIELDS)
        data = self.rng.choice([
            b"", self.rng.randbytes(self.rng.randrange(1, 120)),
            bytes(32) + b"\x45" + bytes(4) + self.rng.randbytes(20),  # UP|UV|AT flags, truncated credential
            b'{"type":"webauthn.get","challenge":5}', b'{"type":"webauthn.get","challenge":"\\ud800"}', b"[]",
            b'{"type":"webauthn.get","type":"webauthn.get"}', b"\xa1\x01" * 30, b"\x9f" * 50])
        ev[field] = base64.urlsafe_b64encode(data).rstrip(b"=").decode()
        return self.dump(ev)

    def wrong_value(self):  # same shape, another value: only the checks can tell
        ev, payload = self.fresh()
        if self.rng.random() < 0.5:
            put(ev, ("payload_sha256",), ev["payload_sha256"][::-1] + "1")
            return self.dump(ev)
        path = self.rng.choice([p for p in paths(payload) if isinstance(get(payload, p), (str, int))])
        old = get(payload, path)
        put(payload, path, old + 1 if isinstance(old, int) else old + "改")
        return self.dump(ev, payload)

    def not_an_object(self):
        return self.rng.choice([b"", b"null", b"[]", b"1", b'"text"', b"\xef\xbb\xbf{}", b"{}",
                                '{"a":1}'.encode("utf-16"), self.rng.randbytes(self.rng.randrange(1, 400))])


@pytest.mark.file_only
def test_fuzzed_evidence_is_never_valid_and_never_crashes(honest):
    raw = evidence.read_evidence(honest)
    length = json.loads(json.loads(raw)["payload"])["document"]["length"]
    document = honest[:length]
    seal = pades.sealer().seal

    def rebuilt(doc: bytes) -> bytes:
        """The decision with this evidence, sealed again by the bureau: only the evidence differs."""
        return seal(evidence.attach_evidence(document, doc), "fuzz")

    assert offline(rebuilt(raw)).valid  # the harness itself: unmutated evidence, embedded again, is valid

    docs = Mutator(raw, seed=20261127).generate(600)
    outcomes = {"refused": 0, "failed_check": 0}
    root = ROOT.read_bytes()
    for op, doc in docs:
        pdf = rebuilt(doc)
        try:
            verdict = offline(pdf)
        except Refused as exc:
            assert_refused_in_chinese(exc)
            outcomes["refused"] += 1
        else:
            assert not verdict.valid and verdict.approver is None, (op, doc[:300])
            outcomes["failed_check"] += 1
        assert verify.verify_pdf(pdf, root) in (1, 2), op
        if op != "duplicate_key":  # the assertion checks on a dict, bypassing the strict reader: no crash
            try:
                loose = json.loads(doc)
            except (ValueError, RecursionError):
                continue
            assert all(isinstance(c, evidence.Check) for c in evidence.verify_evidence(pdf, loose))
    print(f"fuzz: {len(docs)} documents, {outcomes}")
    assert outcomes["refused"] > 300 and outcomes["failed_check"] > 50, outcomes

    for op, doc in random.Random(5).sample(docs, 30):  # through the sandbox and the bureau's records
        try:
            result = verification.check_pdf(rebuilt(doc))
        except Refused as exc:
            assert_refused_in_chinese(exc)
        else:
            assert not result.valid, op


def test_strict_parser_rules():
    B = evidence.b64url
    assert B("AQID") == b"\x01\x02\x03" and B("AQI") == b"\x01\x02" and B("") == b""
    for bad in ["AQI=", "AQ+D", "AQ/D", "AQ D", "AQID\n", "A", "AQJ", 3, None]:
        with pytest.raises(evidence.Malformed):
            B(bad)
    for bad in [b'{"a":1,"a":1}', b'{"a":1.0}', b'{"a":NaN}', b'{"a":"\xed\xa0\x80"}', b"[" * 5000 + b"]" * 5000,
                b'{"a":' + b"1" * 5000 + b"}", b'{"a":'] + ["{}".encode("utf-16")]:
        with pytest.raises(evidence.Malformed):
            evidence.strict_json(bad)
    assert evidence.verify_evidence(b"", None)[0].ok is False
    assert evidence.verify_evidence(b"", {"format": evidence.EVIDENCE_FORMAT})[0].ok is False
    # Unfiltered evidence is read too; a stream with parameters is not.
    plain = with_evidence_stream(stream(b'{"format":"x"}', b"/Type /EmbeddedFile"))
    with pytest.raises(Refused) as exc:
        offline(plain)
    assert exc.value.code == "verify.bad_evidence"
    with pytest.raises(Refused) as exc:
        offline(with_evidence_stream(stream(zlib.compress(b"{}"),
                                                           b"/Filter /FlateDecode /DecodeParms << /Predictor 12 >>")))
    assert exc.value.code == "verify.bad_filter"
