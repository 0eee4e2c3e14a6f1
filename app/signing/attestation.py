"""Attestation policy: which key models may be registered (notes/webauthn.md §4).

Default: any key, AAGUID and format recorded. With an allow list of AAGUIDs, registration needs
direct attestation whose certificate chain reaches a root pinned for that AAGUID; `none` and
self attestation are refused (python-fido2 accepts a self-attested key claiming an allowed AAGUID
when its verifier's ca_lookup finds a root: the empty trust path passes the chain check)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fido2.attestation import Attestation, AttestationType, UnsupportedAttestation, verify_x509_chain
from fido2.webauthn import AttestationObject
from sqlmodel import Session, select

from app.models import AttestationPolicy
from app.rules.errors import refuse


def current_policy(session: Session) -> Optional[AttestationPolicy]:
    return session.exec(select(AttestationPolicy).order_by(AttestationPolicy.id.desc())).first()


def conveyance(policy: Optional[AttestationPolicy]) -> str:
    return "direct" if policy is not None and policy.allowed_aaguids else "none"


def pem_to_der(pem: str) -> bytes:
    try:
        return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    except Exception:
        raise refuse("attestation.bad_root", "根证书格式错误（需 PEM）")


def check(policy: Optional[AttestationPolicy], attestation: AttestationObject, client_data_hash: bytes) -> None:
    if policy is None or not policy.allowed_aaguids:
        return
    aaguid = str(attestation.auth_data.credential_data.aaguid)
    if aaguid not in policy.allowed_aaguids:
        raise refuse("attestation.model_not_allowed", f"该型号密钥（AAGUID {aaguid}）不在允许登记的型号清单内")
    if attestation.fmt == "none":
        raise refuse("attestation.none", "密钥未提供型号证明（attestation），按策略不能登记")
    verifier = Attestation.for_type(attestation.fmt)
    if issubclass(verifier, UnsupportedAttestation):
        raise refuse("attestation.unsupported", f"不支持的型号证明格式：{attestation.fmt}")
    try:
        result = verifier().verify(attestation.att_stmt, attestation.auth_data, client_data_hash)
    except Exception as exc:
        raise refuse("attestation.invalid", f"型号证明无效（{type(exc).__name__}）")
    if result.attestation_type in (AttestationType.SELF, AttestationType.NONE) or not result.trust_path:
        raise refuse("attestation.self", "自证明（self attestation）不能证明密钥型号，按策略不能登记")
    now = datetime.now(timezone.utc)
    for der in result.trust_path:
        cert = x509.load_der_x509_certificate(der)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise refuse("attestation.expired", "型号证明证书不在有效期内")
    for pem in policy.pinned_roots.get(aaguid, []):
        try:
            verify_x509_chain(result.trust_path + [pem_to_der(pem)])
            return
        except Exception:
            continue
    raise refuse("attestation.untrusted", "型号证明无法验证到该型号的受信任根证书")
