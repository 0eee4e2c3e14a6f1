"""The signature evidence embedded in every decision PDF, and its offline verification.

Format: docs/evidence.md. Verification needs only the PDF: the approver's public key travels
inside it; whether that key belonged to the approver is the online check (and, later, PAdES).

Uploaded PDFs are hostile input: `offline_check` reads them with hard limits and a strict
evidence parser (docs/evidence.md, "Strict reading"); run it in `app.signing.sandbox`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from fido2 import cbor
from fido2.cose import CoseKey
from fido2.utils import websafe_encode
from fido2.webauthn import AuthenticatorData
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader

from app.rules.canonical import canonical_json
from app.rules.errors import Refused, refuse

EVIDENCE_FILE = "approval-evidence.json"
EVIDENCE_FORMAT_V1 = "zd-independent-approval/evidence/v1"
PAYLOAD_FORMAT_V1 = "zd-independent-approval/decision/v1"
EVIDENCE_FORMAT_V2 = "zd-independent-approval/evidence/v2"
PAYLOAD_FORMAT_V2 = "zd-independent-approval/decision/v2"
EVIDENCE_FORMAT = "zd-independent-approval/evidence/v3"  # v2 + the permit's content and validity
PAYLOAD_FORMAT = "zd-independent-approval/decision/v3"
ALLOWED_COSE_ALGORITHMS = {-7: "ES256", -8: "EdDSA", -257: "RS256"}
NONCE_BYTES = 16

# Limits for reading an uploaded PDF. An honest decision is ~260 KB, ~40 objects, evidence ~5 KB.
MiB = 1024 * 1024
MAX_UPLOAD = 2 * MiB
MAX_OBJECTS = 10_000
MAX_EVIDENCE = MiB  # the evidence file, decompressed
MAX_PAYLOAD = 256 * 1024
MAX_BINARY = 16 * 1024  # any one base64url value, decoded
MAX_LIST = 1_000
MAX_INT = 2 ** 53
MAX_EMBEDDED_NAMES = 100
# pyHanko decodes xref and object streams itself; bound what it may inflate on our behalf.
DECODE_LIMITS = DecodeLimits(per_stream=StreamDecodeLimits(max_ratio=200, ratio_floor=MiB, max_output_size=16 * MiB),
                             document_budget=DocumentDecodeBudget(base_allowance=32 * MiB, max_ratio=10))

TOO_COMPLEX = ("verify.too_complex", "文件结构过于复杂，超出核验的内存或解压限制，不是本系统出具的决定书")
NO_EVIDENCE = ("verify.no_evidence", "文件中没有可读取的签署证据：不是本系统出具的决定书，或文件已损坏")


def key_fingerprint(cose_key: bytes) -> str:
    """Short, human-comparable: first 8 bytes of SHA-256 over the COSE public key, in 4 groups."""
    h = hashlib.sha256(cose_key).hexdigest()[:16].upper()
    return " ".join(h[i:i + 4] for i in range(0, 16, 4))


def build_evidence(*, payload: bytes, challenge: bytes, credential_id: bytes, cose_key: bytes,
                   authenticator_data: bytes, client_data_json: bytes, signature: bytes,
                   certificates: list[bytes]) -> bytes:
    """Format v3 (docs/evidence.md); `certificates` = [key certificate, issuing bureau certificate], DER."""
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
        "certificates": [websafe_encode(c) for c in certificates],
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


# --- Reading an uploaded PDF, with limits -------------------------------------------------------

def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise refuse(*NO_EVIDENCE)
    return value


def read_evidence(pdf: bytes) -> bytes:
    """The raw bytes of the embedded evidence file. Refuses (Refused) past any limit."""
    if len(pdf) > MAX_UPLOAD:
        raise refuse("verify.too_large", "文件过大：决定书 PDF 不超过 2 MB")
    if not pdf.startswith(b"%PDF"):
        raise refuse("verify.not_pdf", "请上传决定书 PDF 文件")
    reader = PdfFileReader(BytesIO(pdf), strict=False, decode_limits=DECODE_LIMITS)
    xrefs = reader.xrefs  # already parsed (bounded by the upload size); count before resolving any
    if sum(len(xrefs.get_xref_data(r).explicit_refs_in_revision) for r in range(xrefs.total_revisions)) > MAX_OBJECTS:
        raise refuse("verify.too_many_objects", f"文件对象过多（超过 {MAX_OBJECTS} 个），不是本系统出具的决定书")
    # Only the flat name array attach_evidence writes; no name-tree /Kids to walk.
    if reader.xrefs.total_revisions < 2:
        raise refuse(*NO_EVIDENCE)
    # The evidence as revision 2 added it: whatever a later update did, this is the entry that counts.
    root = reader.get_historical_root(1)
    names = _typed(_typed(_typed(root, generic.DictionaryObject)["/Names"], generic.DictionaryObject)
                   ["/EmbeddedFiles"], generic.DictionaryObject)
    array = _typed(names["/Names"], generic.ArrayObject)
    if len(array) > 2 * MAX_EMBEDDED_NAMES:
        raise refuse(*NO_EVIDENCE)
    entries = [i for i in range(0, len(array) - 1, 2)
               if isinstance(array[i], generic.TextStringObject) and str(array[i]) == EVIDENCE_FILE]
    if not entries:
        raise refuse(*NO_EVIDENCE)
    if len(entries) > 1:  # which one would count? None: another reader might pick the other
        raise refuse("verify.bad_evidence", "签署证据格式错误：文件中有多份签署证据")
    spec = _typed(array[entries[0] + 1], generic.DictionaryObject)
    stream = _typed(_typed(spec["/EF"], generic.DictionaryObject)["/F"], generic.StreamObject)
    return _inflate(stream)


def _inflate(stream: generic.StreamObject) -> bytes:
    """FlateDecode (or no filter) only, with a running cap instead of pyHanko's decoder."""
    flate = generic.NameObject("/FlateDecode")
    filters = stream["/Filter"] if "/Filter" in stream else None  # [] resolves references, get() not
    params = stream["/DecodeParms"] if "/DecodeParms" in stream else None
    if isinstance(filters, generic.ArrayObject) and len(filters) == 1:
        filters = filters[0]
    if filters not in (None, flate) or not (params is None or isinstance(params, generic.NullObject)):
        raise refuse("verify.bad_filter", "签署证据的压缩方式不受支持（仅限 FlateDecode）")
    raw = stream.encoded_data
    if filters is None:
        data = raw
    else:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(raw, MAX_EVIDENCE + 1)
        except zlib.error:
            raise refuse("verify.bad_evidence", "签署证据格式错误：压缩数据已损坏")
        if len(data) <= MAX_EVIDENCE and (not inflater.eof or inflater.unused_data.strip()):
            raise refuse("verify.bad_evidence", "签署证据格式错误：压缩数据不完整")
    if len(data) > MAX_EVIDENCE:
        raise refuse("verify.evidence_too_large", "签署证据过大（解压后超过 1 MB），不是本系统出具的决定书")
    return data


# --- Strict JSON and fields ----------------------------------------------------------------------

class Malformed(ValueError):
    """A structural defect in the evidence; the message (Chinese) says which."""


def _pairs(items: list) -> dict:
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        raise Malformed("JSON 中有重复的键")
    return dict(items)


def _no_float(text: str):
    raise Malformed(f"不允许小数（{text[:20]}）")


def _no_constant(text: str):
    raise Malformed(f"不允许 {text}")


def strict_json(data: bytes | str) -> Any:
    """RFC 8259 JSON, stricter: UTF-8 only, no duplicate keys, no floats, no NaN/Infinity."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_pairs, parse_float=_no_float, parse_constant=_no_constant)
    except Malformed:
        raise
    except UnicodeError:
        raise Malformed("不是有效的 UTF-8")
    except RecursionError:
        raise Malformed("嵌套过深")
    except ValueError:  # JSONDecodeError, or an integer over Python's digit limit
        raise Malformed("不是有效的 JSON")


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url(value: Any) -> bytes:
    """WebAuthn's base64url: that alphabet only, no padding or whitespace, canonical trailing bits."""
    if not isinstance(value, str) or not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise Malformed("base64url 编码错误")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise Malformed("base64url 编码错误")
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != value:
        raise Malformed("base64url 编码不规范")
    if len(raw) > MAX_BINARY:
        raise Malformed("二进制字段过长")
    return raw


def _safe(text: str, limit: int = 60) -> str:
    """For a detail shown to the user: short, and always encodable."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8")


class B64:
    """Schema marker: a base64url string."""


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{path} 应为字符串")
    try:
        value.encode("utf-8")
    except UnicodeError:  # a lone surrogate ("\ud800") parses but is no text
        raise Malformed(f"{path} 含无效字符")
    return value


def _check(value: Any, schema: Any, path: str) -> None:
    """value has exactly the shape of schema: a dict of fields, [item schema], str, int or B64."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise Malformed(f"{path} 应为对象")
        if set(value) != set(schema):
            extra, missing = sorted(set(value) - set(schema)), sorted(set(schema) - set(value))
            raise Malformed(f"{path} 字段不符（多余 {[_safe(k) for k in extra[:3]]}，缺少 {missing[:3]}）")
        for key, sub in schema.items():
            _check(value[key], sub, f"{path}.{key}")
    elif isinstance(schema, list):
        if not isinstance(value, list) or len(value) > MAX_LIST:
            raise Malformed(f"{path} 应为列表")
        for i, item in enumerate(value):
            _check(item, schema[0], f"{path}[{i}]")
    elif schema is int:
        if type(value) is not int or not 0 <= value <= MAX_INT:  # bool is an int subclass: excluded
            raise Malformed(f"{path} 应为非负整数")
    elif schema is B64:
        b64url(value)
    else:
        _str(value, path)


PERSON = {"staff_no": str, "name": str}
_ASSERTION = {
    "format": str, "payload": str, "payload_sha256": str, "challenge": B64, "credential_id": B64,
    "public_key_cose": B64, "authenticator_data": B64, "client_data_json": B64, "signature": B64,
}
_DECISION = {
    "format": str, "organ": str, "title": str, "outcome": str, "document_number": str, "case_no": str,
    "accepted_at": str, "item": {"code": str, "name": str, "revision": int, "legal_basis": str},
    "applicant": {"name": str, "id_type": str, "id_number_masked": str},
    "conditions_met": [str], "decision_text": [str], "remedy": str, "approver": PERSON,
    "decided_at": str, "verification_code": str,
    "verify_url": str, "origin": str, "rp_id": str, "document": {"sha256": str, "length": int},
}
_DECISION_V2 = {**_DECISION, "key": {"credential_id": B64, "fingerprint": str, "certificate_serial": str},
                "review_opinion": str, "refusal_reasons": [{"condition": str, "reason": str}]}
# evidence format → (evidence schema, payload format, payload schema)
SCHEMAS = {
    EVIDENCE_FORMAT_V1: ({**_ASSERTION, "approver": PERSON, "signed_at": str}, PAYLOAD_FORMAT_V1,
                         {**_DECISION, "key": {"credential_id": B64, "fingerprint": str}}),
    EVIDENCE_FORMAT_V2: ({**_ASSERTION, "certificates": [B64]}, PAYLOAD_FORMAT_V2, _DECISION_V2),
    EVIDENCE_FORMAT: ({**_ASSERTION, "certificates": [B64]}, PAYLOAD_FORMAT,
                      {**_DECISION_V2, "permit": {"content": str, "valid_from": str, "valid_until": str}}),
}


def check_fields(evidence: Any) -> dict:
    """The evidence's typed payload; Malformed unless evidence and payload have exactly the
    documented fields and types of their format and the payload is canonical JSON."""
    if not isinstance(evidence, dict) or evidence.get("format") not in SCHEMAS:
        raise Malformed("未知的证据格式")
    evidence_schema, payload_format, payload_schema = SCHEMAS[evidence["format"]]
    _check(evidence, evidence_schema, "证据")
    payload_bytes = evidence["payload"].encode("utf-8")
    if len(payload_bytes) > MAX_PAYLOAD:
        raise Malformed("决定内容过长")
    payload = strict_json(payload_bytes)
    _check(payload, payload_schema, "决定内容")
    if payload["format"] != payload_format:
        raise Malformed("决定内容格式与证据格式不符")
    if canonical_json(payload) != payload_bytes:
        raise Malformed("决定内容不是规范 JSON")
    return payload


def parse_evidence(data: bytes) -> dict:
    """The evidence file's JSON, strictly; refused (verify.bad_evidence) if it is not well formed."""
    try:
        evidence = strict_json(data)
        check_fields(evidence)
        return evidence
    except Malformed as exc:
        raise refuse("verify.bad_evidence", f"签署证据格式错误：{exc}")


def extract_evidence(pdf: bytes) -> dict:
    return parse_evidence(read_evidence(pdf))


# --- Verification --------------------------------------------------------------------------------

@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


def verify_evidence(pdf: bytes, evidence: Any) -> list[Check]:
    """Every offline check, in order; the PDF is valid only if all pass. Never raises: malformed
    evidence is a failed check."""
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str = "") -> bool:
        checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    fmt = evidence.get("format") if isinstance(evidence, dict) else None
    if not check("证据格式", fmt in SCHEMAS, _safe(fmt) if isinstance(fmt, str) else type(fmt).__name__):
        return checks
    try:
        payload = check_fields(evidence)
    except Malformed as exc:
        checks[-1] = Check("证据格式", False, str(exc))
        return checks
    verify_assertion(pdf, evidence, payload, check)
    return checks


def _client_data(raw: bytes) -> dict:
    try:
        value = strict_json(raw)
    except Malformed:
        return {}
    return value if isinstance(value, dict) else {}


def verify_assertion(pdf: bytes, evidence: dict, payload: dict, check) -> None:
    """The key's signature over this decision, checked from the file alone (both formats).
    Never raises: an unexpected defect is a failed check."""
    try:
        _verify_assertion(pdf, evidence, payload, check)
    except Exception as exc:  # not expected after check_fields; still a verdict, never a traceback
        check("证据可解析", False, type(exc).__name__)


def _verify_assertion(pdf: bytes, evidence: dict, payload: dict, check) -> None:
    payload_bytes = evidence["payload"].encode("utf-8")
    digest = hashlib.sha256(payload_bytes).digest()
    check("决定内容摘要", evidence["payload_sha256"] == digest.hex())
    doc = payload["document"]
    check("决定书正文未被改动",
          hashlib.sha256(pdf[:doc["length"]]).hexdigest() == doc["sha256"] and len(pdf) > doc["length"],
          f"前 {doc['length']} 字节")
    challenge = b64url(evidence["challenge"])
    check("挑战值 = 决定内容摘要 ‖ 随机数", len(challenge) == 32 + NONCE_BYTES and challenge[:32] == digest)
    client_data_raw = b64url(evidence["client_data_json"])
    client_data = _client_data(client_data_raw)
    check("客户端数据类型", client_data.get("type") == "webauthn.get")
    try:
        client_challenge = b64url(client_data.get("challenge"))
    except Malformed:
        client_challenge = None
    check("客户端数据挑战值", client_challenge == challenge)
    origin = client_data.get("origin")
    check("来源", origin == payload["origin"], _safe(origin) if isinstance(origin, str) else "")
    check("非跨源调用（crossOrigin 为 false 或缺省，无 topOrigin）",
          client_data.get("crossOrigin", False) is False and "topOrigin" not in client_data)
    try:
        auth_data = AuthenticatorData(b64url(evidence["authenticator_data"]))
        rp_ok, up, uv = (auth_data.rp_id_hash == hashlib.sha256(payload["rp_id"].encode()).digest(),
                         auth_data.is_user_present(), auth_data.is_user_verified())
    except Exception:  # too short, or bad extension CBOR
        auth_data, rp_ok, up, uv = None, False, False, False
    check("依赖方标识", rp_ok, _safe(payload["rp_id"]))
    check("用户在场（UP）", up)
    check("用户验证（UV，PIN 或生物识别）", uv)
    cose_key = b64url(evidence["public_key_cose"])
    check("密钥与决定书所载指纹一致", key_fingerprint(cose_key) == payload["key"]["fingerprint"]
          and evidence["credential_id"] == payload["key"]["credential_id"])
    if "approver" in evidence:  # v1 repeats the approver outside the payload
        check("审批人与决定内容一致", evidence["approver"] == payload["approver"])
    try:
        if auth_data is None:
            raise ValueError("authenticatorData")
        key = CoseKey.parse(cbor.decode(cose_key))
        if not check("签名算法在允许之列（ES256、EdDSA、RS256）", key.ALGORITHM in ALLOWED_COSE_ALGORITHMS,
                     str(key.ALGORITHM)):
            return
        key.verify(
            bytes(auth_data) + hashlib.sha256(client_data_raw).digest(), b64url(evidence["signature"]))
        check("密钥签名", True)
    except Exception as exc:  # InvalidSignature or a malformed key
        check("密钥签名", False, type(exc).__name__)
