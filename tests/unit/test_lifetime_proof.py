"""Issue 8: a decision PDF proves itself offline with only the bureau's root certificate, and every
way of faking or altering one is refused, offline and online, each with its reason."""

from __future__ import annotations

import json
import random
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from datetime import date, timedelta
from io import BytesIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints

from app.rules.counter import decisions

from app.rules.counter import verification
from app.signing import evidence, keycerts, pki, proof, verify
from app.signing.pades import PadesSealer, sealer
from tests import flows
from tests.forge import KEY_TYPES, AnyKey, attacker_bureau, forge, key_certificate

ITEM = "370303-SCZT-001"


def root_der() -> bytes:
    return pki.bureau().root.public_bytes(Encoding.DER)


def offline(pdf: bytes, crl: bytes | None = None) -> proof.Verdict:
    return proof.check_file(pdf, root_der(), crl)


def failed(verdict: proof.Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.ok}


@pytest.fixture()
def honest(db):
    """(sealed PDF, its payload as a dict, the rendered document it names)."""
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    pdf = decisions.read_pdf(flows.sign_case(approver, key, flows.accept_case(approver)))
    payload = json.loads(json.loads(evidence.read_evidence(pdf))["payload"])
    return pdf, payload, pdf[:payload["document"]["length"]]


def test_an_honest_decision_proves_its_signer_offline(honest, tmp_path):
    pdf, payload, _ = honest
    verdict = offline(pdf)
    assert verdict.valid and verdict.version == 2, failed(verdict)
    assert verdict.approver == {"staff_no": "S001", "name": "张晓梅"}
    unrooted = proof.check_file(pdf)
    assert not unrooted.valid and unrooted.approver is None and "未提供本局根证书" in unrooted.notes[0]
    assert len(pdf) <= 100_000 * 3  # size is a benchmark target (README); here only a sanity bound


def test_poppler_reports_the_bureau_signature_valid_and_the_document_unmodified(honest, tmp_path):
    path = tmp_path / "decision.pdf"
    path.write_bytes(honest[0])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in out, out
    assert "Total document signed" in out, out


# --- Changes after the seal ----------------------------------------------------------------------

def _redraw_page(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    content = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (BUYU XUKE) Tj ET")
    page["/Contents"] = writer.add_object(content)
    writer.update_container(page)


def _annotate(writer: IncrementalPdfFileWriter) -> None:
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    annot = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Annot"), generic.pdf_name("/Subtype"): generic.pdf_name("/FreeText"),
        generic.pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (72, 600, 400, 660)]),
        generic.pdf_name("/Contents"): generic.TextStringObject("不予许可"),
        generic.pdf_name("/DA"): generic.TextStringObject("/Helv 24 Tf 1 0 0 rg")}))
    page["/Annots"] = generic.ArrayObject([annot])
    writer.update_container(page)


def _add_page(writer: IncrementalPdfFileWriter) -> None:
    from pyhanko.pdf_utils.writer import PageObject

    writer.insert_page(PageObject(contents=writer.add_object(generic.StreamObject(stream_data=b"")),
                                  media_box=(0, 0, 595, 842)))


def _javascript(writer: IncrementalPdfFileWriter) -> None:
    writer.root["/OpenAction"] = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/S"): generic.pdf_name("/JavaScript"),
        generic.pdf_name("/JS"): generic.TextStringObject("app.alert('不予许可')")}))
    writer.update_root()


@pytest.mark.parametrize("change", [_redraw_page, _annotate, _add_page, _javascript],
                         ids=["content_replaced", "annotation", "added_page", "javascript"])
def test_a_change_after_the_seal_is_refused_offline_and_online(honest, change):
    pdf = honest[0]
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    change(writer)
    out = BytesIO()
    writer.write(out)
    changed = out.getvalue()
    verdict = offline(changed)
    assert not verdict.valid and verdict.approver is None
    assert "签章后无修改（仅可追加验证数据与时间戳）" in failed(verdict), verdict.checks
    assert verify.verify_pdf(changed, root_der()) == verify.EXIT_INVALID
    online = verification.check_pdf(changed)
    assert not online.valid and "文件与登记的决定书一致" in {c.name for c in online.checks if not c.ok}


# --- Forged decisions ----------------------------------------------------------------------------

def test_the_harness_makes_a_valid_decision_when_nothing_is_forged(honest):
    _, payload, document = honest
    bureau, key = pki.bureau(), AnyKey()
    cert = key_certificate(bureau, key, [ITEM], date.today() - timedelta(days=1), date.today() + timedelta(days=30))
    assert offline(forge(document, payload, key, cert, bureau, sealer())).valid


def test_evidence_swapped_from_another_decision_is_refused(honest, db):
    pdf, payload, document = honest
    other_document = document.replace(b"%PDF-1.7", b"%PDF-1.7", 1) + b"\n% another decision\n"
    bureau, key = pki.bureau(), AnyKey()
    cert = key_certificate(bureau, key, [ITEM], date.today() - timedelta(days=1), date.today() + timedelta(days=30))
    other = forge(other_document, payload, key, cert, bureau, sealer())
    # Decision A's document with decision B's evidence (and a fresh seal, as an insider might make).
    other_evidence = evidence.read_evidence(other)
    swapped = sealer().seal(evidence.attach_evidence(document, other_evidence), "swap")
    verdict = offline(swapped)
    assert not verdict.valid and "决定书正文未被改动" in failed(verdict)
    assert not verification.check_pdf(swapped).valid


@pytest.mark.parametrize("kind", KEY_TYPES)
def test_a_self_made_key_and_certificate_naming_the_approver_is_refused(honest, kind):
    """The attacker's own key, certificate and seal, all naming 张晓梅 (S001)."""
    _, payload, document = honest
    attacker, key = attacker_bureau(), AnyKey(kind)
    cert = key_certificate(attacker, key, [ITEM], date.today() - timedelta(days=1), date.today() + timedelta(days=30))
    forged = forge(document, payload, key, cert, attacker, PadesSealer(attacker))
    verdict = offline(forged)
    assert not verdict.valid and verdict.approver is None
    assert {"签章证书链至本局根证书", "签章证书由本局根证书签发"} <= failed(verdict)
    assert "密钥签名" not in failed(verdict)  # the signature itself is fine: only the chain tells
    assert verify.verify_pdf(forged, root_der()) == verify.EXIT_INVALID
    assert not verification.check_pdf(forged).valid


def test_a_key_whose_certificate_expired_before_the_decision_is_refused(honest):
    _, payload, document = honest
    bureau, key = pki.bureau(), AnyKey()
    cert = key_certificate(bureau, key, [ITEM], date.today() - timedelta(days=400), date.today() - timedelta(days=35))
    forged = forge(document, payload, key, cert, bureau, sealer())
    verdict = offline(forged)
    assert not verdict.valid and "决定时间在密钥证书有效期内" in failed(verdict)
    assert not verification.check_pdf(forged).valid


def test_an_item_outside_the_certificates_scope_is_refused(honest):
    _, payload, document = honest
    bureau, key = pki.bureau(), AnyKey()
    cert = key_certificate(bureau, key, ["370303-SHSW-002"], date.today() - timedelta(days=1),
                           date.today() + timedelta(days=30))
    forged = forge(document, payload, key, cert, bureau, sealer())
    verdict = offline(forged)
    assert not verdict.valid and "事项在密钥证书授权范围内" in failed(verdict)
    assert not verification.check_pdf(forged).valid


def test_a_key_revoked_before_the_decision_is_refused_given_the_crl(honest):
    _, payload, document = honest
    bureau, key = pki.bureau(), AnyKey()
    cert = key_certificate(bureau, key, [ITEM], date.today() - timedelta(days=10), date.today() + timedelta(days=30))
    forged = forge(document, payload, key, cert, bureau, sealer())
    revoked_at = keycerts.term(date.today() - timedelta(days=2), date.today())[0]
    crl = keycerts.revocation_list(bureau, 99, [(cert.serial_number, revoked_at)]).public_bytes(Encoding.DER)
    assert offline(forged).valid  # without the CRL nothing says it was revoked …
    verdict = offline(forged, crl)
    assert not verdict.valid and "签署时密钥未被撤销" in failed(verdict)  # … with it, refused
    foreign_crl = keycerts.revocation_list(attacker_bureau(), 1, []).public_bytes(Encoding.DER)
    assert "签署时密钥未被撤销" in failed(offline(forged, foreign_crl))  # a CRL the bureau did not sign
    assert not verification.check_pdf(forged).valid


@pytest.mark.file_only
def test_a_thousand_random_single_byte_mutations_are_all_rejected(honest):
    pdf = honest[0]
    rng = random.Random(8)
    accepted = []
    for _ in range(1000):
        mutated = bytearray(pdf)
        position = rng.randrange(len(pdf))
        mutated[position] = (mutated[position] + rng.randrange(1, 256)) % 256
        try:
            if offline(bytes(mutated)).valid:
                accepted.append(position)
        except proof.Refused:
            pass
    assert accepted == []


def test_a_v1_decision_verifies_as_v1_integrity_only_and_is_never_valid_offline(honest):
    """Decisions signed before format v2 carry no seal and no certificate: they verify as v1 and say so."""
    _, payload, document = honest
    key = AnyKey()
    v1_payload = {**{k: v for k, v in payload.items() if k not in ("review_opinion", "refusal_reasons", "permit")},
                  "format": evidence.PAYLOAD_FORMAT_V1,
                  "key": {"credential_id": evidence.websafe_encode(key.credential_id),
                          "fingerprint": evidence.key_fingerprint(key.cose)}}
    from app.rules.canonical import canonical_json
    import hashlib
    import os

    payload_bytes = canonical_json(v1_payload)
    challenge = hashlib.sha256(payload_bytes).digest() + os.urandom(16)
    auth_data, client_data, signature = key.assert_challenge(challenge)
    raw = json.dumps({
        "format": evidence.EVIDENCE_FORMAT_V1, "payload": payload_bytes.decode(),
        "payload_sha256": hashlib.sha256(payload_bytes).hexdigest(),
        "challenge": evidence.websafe_encode(challenge), "credential_id": evidence.websafe_encode(key.credential_id),
        "public_key_cose": evidence.websafe_encode(key.cose),
        "authenticator_data": evidence.websafe_encode(auth_data),
        "client_data_json": evidence.websafe_encode(client_data), "signature": evidence.websafe_encode(signature),
        "approver": payload["approver"], "signed_at": "2026-11-01T00:00:00+00:00"}, ensure_ascii=False).encode()
    v1 = evidence.attach_evidence(document, raw)
    verdict = offline(v1)
    # Its integrity checks pass, and it says so; but anyone's key can make a v1 file (this one was
    # made here with a key of our own), so offline it is never "valid": only the records vouch for it.
    assert verdict.version == 1 and verdict.intact and not verdict.valid and verdict.approver is None
    assert "v1" in verdict.notes[0]
    assert verify.verify_pdf(v1, root_der()) == verify.EXIT_INVALID
    assert not verification.check_pdf(v1).valid  # no such decision in the bureau's records


# --- B-T: an RFC 3161 timestamp from a TSA (here one the test serves on localhost) ---------------

def _tsa_server():
    """A minimal RFC 3161 time-stamping service over HTTP, answered by pyHanko's DummyTimeStamper."""
    from datetime import datetime, timezone

    from asn1crypto import keys as asn1_keys, tsp, x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps import DummyTimeStamper

    key = rsa.generate_private_key(65537, 2048)  # pyHanko's dummy TSA signs with RSA only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试时间戳服务")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    stamper = DummyTimeStamper(
        asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(key.private_bytes(Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption())))
    served = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            served.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, served


def test_with_a_tsa_the_seal_is_pades_b_t_and_verifies(honest, monkeypatch):
    server, served = _tsa_server()
    try:
        monkeypatch.setenv("APP_TSA_URL", f"http://127.0.0.1:{server.server_port}/tsa")
        sealer.cache_clear()
        _, payload, document = honest
        bureau, key = pki.bureau(), AnyKey()
        cert = key_certificate(bureau, key, [ITEM], date.today() - timedelta(days=1), date.today() + timedelta(days=9))
        stamped = forge(document, payload, key, cert, bureau, sealer())
    finally:
        server.shutdown()
        sealer.cache_clear()
    assert served, "the sealer did not ask the TSA"
    verdict = offline(stamped)
    assert verdict.valid, failed(verdict)
    assert any(c.name == "签章时间戳（RFC 3161）完整有效" and c.ok for c in verdict.checks)


def _rewrite_cms(pdf: bytes, change) -> bytes:
    """Re-encode the seal's CMS object after `change(signed_data)`, in place, same gap length."""
    import re

    from asn1crypto import cms

    byte_range = [int(v) for v in re.search(rb"/ByteRange\s*\[([^\]]*)\]", pdf).group(1).split()]
    gap = pdf[byte_range[1] + 1:byte_range[2] - 1]
    info = cms.ContentInfo.load(bytes.fromhex(gap.decode()).rstrip(b"\x00") or b"\x00")
    change(info["content"])
    raw = cms.ContentInfo({"content_type": "signed_data", "content": info["content"]}).dump(force=True)
    hexed = raw.hex().upper().encode()
    assert len(hexed) <= len(gap)
    return pdf[:byte_range[1] + 1] + hexed + b"0" * (len(gap) - len(hexed)) + pdf[byte_range[2] - 1:]


def _is_root(choice) -> bool:
    return choice.chosen.subject == choice.chosen.issuer


def _drop_root(signed_data):
    signed_data["certificates"] = [c for c in signed_data["certificates"] if not _is_root(c)]


def _add_text(signed_data):
    from asn1crypto import cms, core

    signer = signed_data["signer_infos"][0]
    signer["unsigned_attrs"] = cms.CMSAttributes([cms.CMSAttribute({
        "type": "1.2.3.4", "values": [core.UTF8String("不予许可 — inserted after signing")]})])


def _duplicate_signer(signed_data):
    signed_data["certificates"] = list(signed_data["certificates"]) + [
        c for c in signed_data["certificates"] if not _is_root(c)]


@pytest.mark.parametrize("change", [_drop_root, _add_text, _duplicate_signer],
                         ids=["root_removed", "unsigned_text_added", "signer_duplicated"])
def test_bytes_outside_the_signature_cannot_change(honest, change):
    """The CMS's certificate set and unsigned attributes are not covered by the signature: the
    verifier demands exactly what the bureau writes there (found by an independent verifier)."""
    changed = _rewrite_cms(honest[0], change)
    assert changed != honest[0]
    verdict = offline(changed)
    assert not verdict.valid and "签章数据格式规范（无多余内容）" in failed(verdict), failed(verdict)


def test_a_rolled_back_revocation_never_reaches_the_published_crl(honest):
    from app.db import transaction
    from app.models import SecurityKey
    from sqlmodel import select

    from app.rules.people import certificates

    path = certificates.crl_path()
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(RuntimeError):
        with transaction() as s:
            key = s.exec(select(SecurityKey).where(SecurityKey.authorization_id.is_not(None))).first()
            assert certificates.revoke(s, "误操作", key_id=key.id)
            raise RuntimeError("the revoking transaction fails after the CRL was made")
    assert (path.read_bytes() if path.exists() else None) == before
