"""One strict verifier for decision PDFs (docs/evidence.md), shared by the offline command and the
public /verify page (there, inside the sandbox).

A v2 decision proves itself with only the bureau's root certificate:
1. the bureau's PAdES certification signature holds, chains to the root, and nothing but
   validation data follows it (pyHanko's difference analysis);
2. the revision between the rendered document and the seal adds only the evidence;
3. the WebAuthn assertion signs SHA-256(payload) ‖ nonce, and the payload names the rendered
   document's SHA-256;
4. the key's certificate chains to the root, carries the assertion's public key, names the approver,
   was valid at `decided_at`, covers the item, and (given a CRL) was not revoked by then.
The approver is named only when the chain to the root holds."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any, Callable, Optional

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfDecodeLimitError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko_certvalidator import ValidationContext

from app.rules.errors import Refused, refuse
from app.signing import evidence as ev
from app.signing.keycerts import BEIJING, cose_public_key, scope_of, spki
from app.signing.pades import SEAL_FIELD

# The seal is made a moment after the touch; the payload's decided_at is the click on 签署.
MAX_SEAL_DELAY = timedelta(minutes=10)


@dataclass
class Verdict:
    version: int
    checks: list[ev.Check]
    payload: str
    chain_checked: bool  # a root certificate was given and used
    approver: Optional[dict] = None  # only when the chain to the root holds
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Every check passed against a root. Never for v1 (no seal, no certificate): a v1 file
        proves only that some key signed it, so only the bureau's records can vouch for it."""
        return self.version == 2 and self.chain_checked and all(c.ok for c in self.checks)

    @property
    def intact(self) -> bool:
        """Every check that was made passed (for v1: its integrity checks)."""
        return all(c.ok for c in self.checks)

    def to_json(self) -> dict:
        return {"version": self.version, "checks": [[c.name, c.ok, c.detail] for c in self.checks],
                "payload": self.payload, "chain_checked": self.chain_checked, "approver": self.approver,
                "notes": self.notes}

    @classmethod
    def from_json(cls, data: dict) -> "Verdict":
        return cls(data["version"], [ev.Check(n, bool(ok), d) for n, ok, d in data["checks"]], data["payload"],
                   data["chain_checked"], data["approver"], data["notes"])


class _Checks:
    def __init__(self) -> None:
        self.items: list[ev.Check] = []

    def __call__(self, name: str, ok: bool, detail: str = "") -> bool:
        self.items.append(ev.Check(name, bool(ok), detail))
        return bool(ok)

    def guard(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run one check that may meet malformed input: an exception is a failed check."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 — a verdict, never a traceback
            self(name, False, type(exc).__name__)
            return None


def der_certificate(data: bytes) -> bytes:
    """A certificate file as DER, whether it was saved as PEM or DER."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    return data


def der_crl(data: bytes) -> bytes:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data).public_bytes(Encoding.DER)
    return data


def check_file(pdf: bytes, root_der: Optional[bytes] = None, crl_der: Optional[bytes] = None) -> Verdict:
    """A verdict, or Refused when the file is unreadable; never another exception. An uploaded
    file is hostile: run this in the sandbox (app.signing.sandbox)."""
    try:
        return verify(pdf, root_der, crl_der)
    except Refused:
        raise
    except (MemoryError, RecursionError, PdfDecodeLimitError):
        raise refuse(*ev.TOO_COMPLEX)
    except Exception:  # pyHanko's parse errors, wrong object types
        raise refuse(*ev.NO_EVIDENCE)


def verify(pdf: bytes, root_der: Optional[bytes] = None, crl_der: Optional[bytes] = None) -> Verdict:
    evidence = ev.extract_evidence(pdf)  # limits, strict JSON, exact fields (v1 or v2)
    payload = ev.check_fields(evidence)
    if evidence["format"] == ev.EVIDENCE_FORMAT_V1:
        checks = ev.verify_evidence(pdf, evidence)
        return Verdict(1, checks, evidence["payload"], False,
                       notes=["v1 格式（早期决定书）：不含本局签章与密钥证书，离线只能确认某个密钥签署了这些内容，"
                              "不能证明签署人身份、授权与文件未被改动；请到核验页面上传，由本局记录核对"])
    check = _Checks()
    ev.verify_assertion(pdf, evidence, payload, check)
    roots = [x509.load_der_x509_certificate(root_der)] if root_der else []
    decided_at = check.guard("决定时间格式", lambda: datetime.fromisoformat(payload["decided_at"]))
    _seal(pdf, payload, roots, decided_at, check)
    key_cert = _key_certificate(evidence, payload, roots, decided_at, crl_der, check)
    verdict = Verdict(2, check.items, evidence["payload"], bool(roots))
    if roots and key_cert is not None and all(c.ok for c in check.items):
        verdict.approver = payload["approver"]
    if not roots:
        verdict.notes.append("未提供本局根证书：只能确认文件自签章后未被改动、密钥签名有效；"
                             "签章人、签署人身份与授权范围无法确认")
    return verdict


def _seal(pdf: bytes, payload: dict, roots: list, decided_at: Optional[datetime], check: _Checks) -> None:
    reader = check.guard("本局签章", lambda: PdfFileReader(BytesIO(pdf), strict=False, decode_limits=ev.DECODE_LIMITS))
    if reader is None:
        return
    signatures = check.guard("本局签章", lambda: reader.embedded_signatures)
    if signatures is None:
        return
    if not check("本局签章", len(signatures) == 1 and signatures[0].field_name == SEAL_FIELD,
                 f"签名 {len(signatures)} 个"):
        return
    seal = signatures[0]
    check("签章为认证签名且禁止修改（DocMDP P=1）", seal.docmdp_level == MDPPerm.NO_CHANGES)
    check("签章覆盖证据所在修订版，其后没有修订版",
          seal.signed_revision == 2 and reader.xrefs.total_revisions == 3, f"共 {reader.xrefs.total_revisions} 个修订版")
    check.guard("签章数据格式规范（无多余内容）",
                lambda: check("签章数据格式规范（无多余内容）", *_canonical_contents(pdf, seal, roots)))
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(r.public_bytes(Encoding.DER)) for r in roots],
                                allow_fetching=False, moment=decided_at, revocation_mode="soft-fail")
    status = check.guard("本局签章", lambda: validate_pdf_signature(seal, signer_validation_context=context))
    if status is None:
        return
    check("签章数据完整、签名有效", status.intact and status.valid)
    check("签章后无修改（仅可追加验证数据与时间戳）",
          status.docmdp_ok and status.modification_level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES),
          _modification(status))
    if roots:
        check("签章证书链至本局根证书", status.trusted, "" if status.trusted else "不受信任或已过期")
    stamp = status.timestamp_validity
    if stamp is not None:  # B-T: an RFC 3161 token over the seal (its TSA is not under our root)
        check("签章时间戳（RFC 3161）完整有效", stamp.intact and stamp.valid, stamp.timestamp.isoformat())
    reported = seal.self_reported_timestamp  # the signature dictionary's /M, inside the byte range
    if decided_at is not None and reported is not None:
        check("签章时间与决定时间相符", -timedelta(minutes=1) <= reported - decided_at <= MAX_SEAL_DELAY,
              f"{reported.astimezone(BEIJING):%Y-%m-%d %H:%M:%S}（北京时间）")
    check.guard("证据修订版仅含签署证据",
                lambda: check("证据修订版仅含签署证据", *_evidence_revision_only(pdf, reader, payload)))


_HEX = re.compile(rb"<([0-9A-F]*)>")


def _canonical_contents(pdf: bytes, seal, roots: list) -> tuple[bool, str]:
    """The one gap the seal's byte range leaves must hold exactly what pyHanko writes: upper-case
    hex of the CMS object, zero padding, and in the CMS no certificate but the signer's and the
    root's. Otherwise bytes outside the signature (a hex digit's case, padding, an unused embedded
    certificate) could change and the file still "verify"."""
    byte_range = [int(v) for v in seal.sig_object["/ByteRange"]]
    if len(byte_range) != 4 or byte_range[0] != 0 or byte_range[2] + byte_range[3] != len(pdf):
        return False, "签名范围不符"
    match = _HEX.fullmatch(pdf[byte_range[1]:byte_range[2]])
    if match is None:
        return False, "签名数据不是规范的十六进制"
    contents = bytes.fromhex(match.group(1).decode())
    used = _der_length(contents)
    if used is None or contents[used:].strip(b"\x00"):
        return False, "签名数据后有多余内容"
    signed_data, signer = seal.signed_data, seal.signer_cert
    embedded = [c.chosen for c in signed_data["certificates"]]
    issuers = [c for c in embedded if c.dump() != signer.dump()]
    if (len(embedded) != 2 or len(issuers) != 1 or issuers[0].subject != issuers[0].issuer
            or issuers[0].subject != signer.issuer
            or (roots and issuers[0].dump() != roots[0].public_bytes(Encoding.DER))):
        return False, "签名中的证书不是恰好“签章证书＋根证书”"
    if signed_data["crls"].native is not None:
        return False, "签名中附加了吊销列表"
    unsigned = signer_info_unsigned(seal)
    if not set(unsigned) <= {"signature_time_stamp_token"}:
        return False, "签名中附加了时间戳以外的未签名属性"
    return True, ""


def signer_info_unsigned(seal) -> list[str]:
    attrs = seal.signer_info["unsigned_attrs"]
    return [] if attrs.native is None else [a["type"].native for a in attrs]


def _der_length(data: bytes) -> int | None:
    """Length of the DER object at the start of data (tag, length, content)."""
    if len(data) < 2:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    width = first & 0x7F
    if width == 0 or width > 4 or len(data) < 2 + width:
        return None
    return 2 + width + int.from_bytes(data[2:2 + width], "big")


def _modification(status) -> str:
    level = status.modification_level
    return "" if level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES) else f"发现修改：{level.name}"


# What the evidence update may add: the embedded file, its file specification and name-tree nodes;
# pyHanko's writer also sets /Version and adds XMP /Metadata (neither is drawn on a page).
_EVIDENCE_TYPES = {"/EmbeddedFile", "/Filespec"}
_CATALOG_ADDITIONS = {"/Names", "/AF", "/Version", "/Metadata"}


def _evidence_revision_only(pdf: bytes, reader: PdfFileReader, payload: dict) -> tuple[bool, str]:
    """Revision 1 ends within the hashed document; revision 2 adds to the catalog only /Names, /AF,
    /Version and /Metadata, changes no object of revision 1 but the catalog, and adds only the
    evidence file, its filespec, name dictionaries, the /AF array and an XMP metadata stream."""
    xrefs, length = reader.xrefs, payload["document"]["length"]
    if (xrefs.total_revisions < 3 or not pdf[:length].rstrip().endswith(b"%%EOF")
            or not xrefs.get_startxref_for_revision(0) < length <= xrefs.get_startxref_for_revision(1)):
        return False, "修订版结构不符：第 1 版应恰好是决定书正文"
    before = {ref for ref in xrefs.get_xref_data(0).explicit_refs_in_revision}
    root_ref = reader.trailer.raw_get("/Root")
    old_root = reader.get_historical_root(0)
    new_root = reader.get_historical_root(1)
    if set(new_root.keys()) - _CATALOG_ADDITIONS != set(old_root.keys()) - _CATALOG_ADDITIONS:
        return False, "目录对象被改动"
    for key in set(old_root.keys()) - _CATALOG_ADDITIONS:
        if old_root.raw_get(key) != new_root.raw_get(key):
            return False, f"目录对象 {key} 被改动"
    resolver = reader.get_historical_resolver(1)
    added: dict = {}
    info_ref = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None
    for idnum, generation in xrefs.get_xref_data(1).explicit_refs_in_revision:
        if (idnum, generation) == (root_ref.idnum, root_ref.generation):
            continue
        if info_ref is not None and (idnum, generation) == (info_ref.idnum, info_ref.generation):
            old_info, new_info = reader.get_historical_resolver(0)(info_ref), resolver(info_ref)
            if any(old_info.raw_get(k) != new_info.raw_get(k) for k in set(old_info.keys()) | set(new_info.keys())
                   if k not in ("/Producer", "/ModDate")):
                return False, "文档信息被改动"
            continue
        if (idnum, generation) in before:
            return False, f"改动了原有对象 {idnum}"
        obj = resolver(generic.Reference(idnum, generation))
        if isinstance(obj, generic.StreamObject):
            if obj.get("/Type") not in ("/EmbeddedFile", "/Metadata", "/XRef"):
                return False, f"新增了不允许的流对象 {idnum}"
            added[obj.get("/Type")] = added.get(obj.get("/Type"), 0) + 1
        elif isinstance(obj, generic.DictionaryObject):
            kind = obj.get("/Type")
            if kind is not None and kind not in _EVIDENCE_TYPES:
                return False, f"新增了不允许的对象 {idnum}（{kind}）"
            if kind is None and not set(obj.keys()) <= {"/Names", "/EmbeddedFiles"}:
                return False, f"新增了不允许的对象 {idnum}"
            added[kind] = added.get(kind, 0) + 1
        elif not isinstance(obj, generic.ArrayObject):
            return False, f"新增了不允许的对象 {idnum}"
    if added.get("/EmbeddedFile") != 1 or added.get("/Filespec") != 1 or added.get("/Metadata", 0) > 1:
        return False, "证据修订版应恰好添加一个嵌入文件"
    return True, ""


def _key_certificate(evidence: dict, payload: dict, roots: list, decided_at: Optional[datetime],
                     crl_der: Optional[bytes], check: _Checks) -> Optional[x509.Certificate]:
    chain = check.guard("密钥证书可读", lambda: [x509.load_der_x509_certificate(ev.b64url(c))
                                                for c in evidence["certificates"]])
    if not chain or not check("密钥证书链完整（密钥证书、本局签章证书）", len(chain) == 2, f"{len(chain)} 张"):
        return None
    key_cert, issuer = chain
    check.guard("密钥证书由本局签章证书签发", lambda: (key_cert.verify_directly_issued_by(issuer),
                                                    check("密钥证书由本局签章证书签发", True)))
    constraints = check.guard("签章证书为 CA", lambda: issuer.extensions.get_extension_for_class(x509.BasicConstraints).value)
    check("签章证书为 CA", constraints is not None and constraints.ca)
    if roots:
        check.guard("签章证书由本局根证书签发", lambda: (issuer.verify_directly_issued_by(roots[0]),
                                                      check("签章证书由本局根证书签发", True)))
    cose = ev.b64url(evidence["public_key_cose"])
    same_key = check.guard("密钥证书公钥与签名密钥一致",
                           lambda: spki(key_cert.public_key()) == spki(cose_public_key(cose)))
    if same_key is not None:
        check("密钥证书公钥与签名密钥一致", same_key)
    check("密钥证书序列号与决定内容一致", format(key_cert.serial_number, "x") == payload["key"]["certificate_serial"])
    staff_no = key_cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    name = key_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    check("密钥证书持有人即决定书所载审批人",
          bool(staff_no and name) and staff_no[0].value == payload["approver"]["staff_no"]
          and name[0].value == payload["approver"]["name"])
    if decided_at is not None:
        for label, cert in (("密钥证书", key_cert), ("签章证书", issuer)):
            check(f"决定时间在{label}有效期内",
                  cert.not_valid_before_utc <= decided_at <= cert.not_valid_after_utc,
                  f"{cert.not_valid_before_utc.astimezone(BEIJING):%Y-%m-%d} 至 "
                  f"{cert.not_valid_after_utc.astimezone(BEIJING):%Y-%m-%d}（北京时间）")
    leaf = check.guard("密钥证书不是 CA", lambda: key_cert.extensions.get_extension_for_class(x509.BasicConstraints).value)
    check("密钥证书不是 CA", leaf is not None and not leaf.ca)
    scope = check.guard("事项在密钥证书授权范围内", lambda: scope_of(key_cert))
    if scope is not None:
        check("事项在密钥证书授权范围内", isinstance(scope.get("items"), list)
              and payload["item"]["code"] in scope["items"], payload["item"]["code"])
        check("密钥证书对应该凭据", scope.get("credential_id") == evidence["credential_id"])
    if crl_der is not None and decided_at is not None:
        check.guard("签署时密钥未被撤销", lambda: check("签署时密钥未被撤销", *_not_revoked(crl_der, issuer, key_cert,
                                                                                 decided_at)))
    return key_cert


def _not_revoked(crl_der: bytes, issuer: x509.Certificate, key_cert: x509.Certificate,
                 decided_at: datetime) -> tuple[bool, str]:
    crl = x509.load_der_x509_crl(crl_der)
    if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):
        return False, "吊销列表不是该签章证书签发的"
    entry = crl.get_revoked_certificate_by_serial_number(key_cert.serial_number)
    issued = crl.last_update_utc.astimezone(BEIJING)
    if entry is None and crl.last_update_utc < decided_at:
        return False, f"吊销列表发布于 {issued:%Y-%m-%d %H:%M}，早于决定时间，不能证明签署时未被撤销"
    if entry is None:
        return True, f"吊销列表 {issued:%Y-%m-%d %H:%M}"
    revoked = entry.revocation_date_utc.astimezone(BEIJING)
    # CRL dates have whole seconds: a revocation in the decision's own second is not "before" it
    # (and the server refuses any signature completed after a revocation).
    if entry.revocation_date_utc < decided_at:
        return False, f"已于 {revoked:%Y-%m-%d %H:%M} 撤销"
    return True, f"签署后于 {revoked:%Y-%m-%d %H:%M} 撤销，不影响本决定"
