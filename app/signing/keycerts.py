"""X.509 certificates for approvers' WebAuthn keys, and the bureau's revocation list.

A key certificate says, under the bureau's signature, that this public key belongs to this
approver (subject: name, serialNumber = staff number), for this authorization's term (validity),
for these items (the scope extension). With it, a decision PDF proves its signer offline, with
only the bureau's root certificate (docs/evidence.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from fido2 import cbor

from app.rules.canonical import canonical_json
from app.signing.pki import Bureau

# id-zd-approval-scope: a UUID-derived OID (ITU-T X.667, no registration needed).
SCOPE_OID = x509.ObjectIdentifier("2.25.255134561447368004693787432117226329874")
BEIJING = timezone(timedelta(hours=8))


def cose_public_key(cose: bytes):
    """The cryptography public key of a COSE_Key (ES256 on P-256, EdDSA on Ed25519, RS256)."""
    key = cbor.decode(cose)
    if not isinstance(key, dict):
        raise ValueError("COSE key is not a map")
    kty = key.get(1)
    if kty == 2 and key.get(-1) == 1:
        return ec.EllipticCurvePublicNumbers(int.from_bytes(key[-2], "big"), int.from_bytes(key[-3], "big"),
                                             ec.SECP256R1()).public_key()
    if kty == 1 and key.get(-1) == 6:
        return ed25519.Ed25519PublicKey.from_public_bytes(key[-2])
    if kty == 3:
        return rsa.RSAPublicNumbers(int.from_bytes(key[-2], "big"), int.from_bytes(key[-1], "big")).public_key()
    raise ValueError("unsupported COSE key type")


def spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def term(valid_from: date, valid_until: date) -> tuple[datetime, datetime]:
    """An authorization's term in Beijing days: from 00:00 of the first to the end of the last."""
    return (datetime.combine(valid_from, time.min, BEIJING),
            datetime.combine(valid_until, time(23, 59, 59), BEIJING))


@dataclass(frozen=True)
class Scope:
    """What the scope extension carries: canonical JSON, a UTF8String in the extension value."""

    authorization_id: int
    categories: list[str]
    items: list[str]
    scope_digest: str
    credential_id: str  # base64url

    def encode(self) -> bytes:
        text = canonical_json({"authorization_id": self.authorization_id, "categories": sorted(self.categories),
                               "items": sorted(self.items), "scope_digest": self.scope_digest,
                               "credential_id": self.credential_id})
        return _der_utf8(text)


def _der_utf8(data: bytes) -> bytes:
    n = len(data)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return b"\x0c" + length + data


def decode_scope(value: bytes) -> str:
    """The scope extension's JSON (strictness: the caller parses the text)."""
    if not value or value[0] != 0x0C:
        raise ValueError("scope extension is not a UTF8String")
    first = value[1]
    if first < 0x80:
        start, n = 2, first
    else:
        width = first & 0x7F
        start, n = 2 + width, int.from_bytes(value[2:2 + width], "big")
    if start + n != len(value):
        raise ValueError("scope extension length")
    return value[start:start + n].decode("utf-8")


def issue(bureau: Bureau, cose_key: bytes, staff_no: str, name: str, valid_from: date, valid_until: date,
          scope: Scope) -> x509.Certificate:
    not_before, not_after = term(valid_from, valid_until)
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, bureau.certificate.subject.get_attributes_for_oid(
                             NameOID.ORGANIZATION_NAME)[0].value),
                         x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, staff_no)])
    public_key = cose_public_key(cose_key)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(bureau.certificate.subject)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.UnrecognizedExtension(SCOPE_OID, scope.encode()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(bureau.certificate.public_key()),
                           critical=False)
            .sign(bureau.key, hashes.SHA256()))


def revocation_list(bureau: Bureau, number: int, revoked: list[tuple[int, datetime]]) -> x509.CertificateRevocationList:
    """The bureau's CRL: every revoked key certificate (serial, revocation time)."""
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(bureau.certificate.subject)
               .last_update(now).next_update(now + timedelta(days=7))
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(bureau.certificate.public_key()),
                              critical=False))
    for serial, at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build())
    return builder.sign(bureau.key, hashes.SHA256())


SCOPE_FIELDS = {"authorization_id", "categories", "items", "scope_digest", "credential_id"}


def scope_of(certificate: x509.Certificate) -> dict:
    """The scope extension's JSON: canonical, exactly its fields (ValueError otherwise)."""
    text = decode_scope(certificate.extensions.get_extension_for_oid(SCOPE_OID).value.value)
    scope = json.loads(text)
    if not isinstance(scope, dict) or set(scope) != SCOPE_FIELDS or canonical_json(scope).decode() != text:
        raise ValueError("scope extension")
    return scope
