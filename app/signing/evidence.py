"""The signature evidence embedded in every decision PDF, and its offline verification.

Format: docs/evidence.md. Verification needs only the PDF: the approver's public key travels
inside it; whether that key belonged to the approver is the online check (and, later, PAdES)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from io import BytesIO

from fido2 import cbor
from fido2.cose import CoseKey
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import AuthenticatorData
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

EVIDENCE_FILE = "approval-evidence.json"
EVIDENCE_FORMAT = "zd-independent-approval/evidence/v1"
PAYLOAD_FORMAT = "zd-independent-approval/decision/v1"
NONCE_BYTES = 16


def key_fingerprint(cose_key: bytes) -> str:
    """Short, human-comparable: first 8 bytes of SHA-256 over the COSE public key, in 4 groups."""
    h = hashlib.sha256(cose_key).hexdigest()[:16].upper()
    return " ".join(h[i:i + 4] for i in range(0, 16, 4))


def build_evidence(*, payload: bytes, challenge: bytes, credential_id: bytes, cose_key: bytes,
                   authenticator_data: bytes, client_data_json: bytes, signature: bytes,
                   approver: dict, signed_at: str) -> bytes:
    doc = {
        "format": EVIDENCE_FORMAT,
        "payload": payload.decode("utf-8"),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "challenge": websafe_encode(challenge),
        "credential_id": websafe_encode(credential_id),
        "public_key_cose": websafe_encode(cose_key),
        "authenticator_data": websafe_encode(authenticator_data),
        "client_data_json": websafe_encode(client_data_json),
        "signature": websafe_encode(signature),
        "approver": approver,
        "signed_at": signed_at,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def attach_evidence(pdf: bytes, evidence: bytes) -> bytes:
    """Append the evidence as an embedded file in one incremental update: the signed
    document bytes stay the file's first bytes, unchanged."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    stream = EmbeddedFileObject.from_file_data(writer, evidence, mime_type="application/json")
    embed_file(writer, FileSpec(file_spec_string=EVIDENCE_FILE, file_name=EVIDENCE_FILE,
                                embedded_data=stream, description="独立审批员密钥签署证据",
                                af_relationship=generic.pdf_name("/Supplement")))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def extract_evidence(pdf: bytes) -> dict:
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        if str(names[i]) == EVIDENCE_FILE:
            data = names[i + 1].get_object()["/EF"]["/F"].get_object().data
            return json.loads(data.decode("utf-8"))
    raise KeyError(EVIDENCE_FILE)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def verify_evidence(pdf: bytes, evidence: dict) -> list[Check]:
    """Every offline check, in order; the PDF is valid only if all pass."""
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str = "") -> bool:
        checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    if not check("证据格式", evidence.get("format") == EVIDENCE_FORMAT, str(evidence.get("format"))):
        return checks
    payload_bytes = evidence["payload"].encode("utf-8")
    payload = json.loads(payload_bytes)
    digest = hashlib.sha256(payload_bytes).digest()
    check("决定内容格式", payload.get("format") == PAYLOAD_FORMAT, str(payload.get("format")))
    check("决定内容摘要", evidence["payload_sha256"] == digest.hex())
    doc = payload["document"]
    check("决定书正文未被改动",
          hashlib.sha256(pdf[:doc["length"]]).hexdigest() == doc["sha256"] and len(pdf) > doc["length"],
          f"前 {doc['length']} 字节")
    challenge = websafe_decode(evidence["challenge"])
    check("挑战值 = 决定内容摘要 ‖ 随机数",
          len(challenge) == 32 + NONCE_BYTES and challenge[:32] == digest)
    client_data_raw = websafe_decode(evidence["client_data_json"])
    client_data = json.loads(client_data_raw)
    check("客户端数据类型", client_data.get("type") == "webauthn.get")
    check("客户端数据挑战值", websafe_decode(client_data.get("challenge", "")) == challenge)
    check("来源", client_data.get("origin") == payload["origin"], str(client_data.get("origin")))
    auth_data = AuthenticatorData(websafe_decode(evidence["authenticator_data"]))
    check("依赖方标识", auth_data.rp_id_hash == hashlib.sha256(payload["rp_id"].encode()).digest(),
          payload["rp_id"])
    check("用户在场（UP）", auth_data.is_user_present())
    check("用户验证（UV，PIN 或生物识别）", auth_data.is_user_verified())
    cose_key = websafe_decode(evidence["public_key_cose"])
    check("密钥与决定书所载指纹一致", key_fingerprint(cose_key) == payload["key"]["fingerprint"]
          and evidence["credential_id"] == payload["key"]["credential_id"])
    check("审批人与决定内容一致", evidence.get("approver") == payload["approver"])
    try:
        CoseKey.parse(cbor.decode(cose_key)).verify(
            bytes(auth_data) + hashlib.sha256(client_data_raw).digest(),
            websafe_decode(evidence["signature"]))
        check("密钥签名", True)
    except Exception as exc:  # InvalidSignature or a malformed key
        check("密钥签名", False, type(exc).__name__)
    return checks
