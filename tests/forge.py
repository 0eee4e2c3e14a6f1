"""An attacker's workshop: decision PDFs assembled by hand, each differing from an honest one in one
chosen property (another key, another certificate, another seal), to show the verifier refuses it."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from datetime import date, datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID
from fido2 import cbor
from fido2.cose import ES256, EdDSA, RS256
from fido2.utils import websafe_encode

from app.config import settings
from app.rules.canonical import canonical_json
from app.signing import evidence, keycerts
from app.signing.pades import PadesSealer
from app.signing.pki import Bureau

KEY_TYPES = ("p256", "ed25519", "rsa")


class AnyKey:
    """A WebAuthn-like key of any allowed type, answering challenges as an authenticator would."""

    def __init__(self, kind: str = "p256"):
        self.kind = kind
        self.private = {"p256": lambda: ec.generate_private_key(ec.SECP256R1()),
                        "ed25519": ed25519.Ed25519PrivateKey.generate,
                        "rsa": lambda: rsa.generate_private_key(65537, 2048)}[kind]()
        cose_type = {"p256": ES256, "ed25519": EdDSA, "rsa": RS256}[kind]
        self.cose = cbor.encode(cose_type.from_cryptography_key(self.private.public_key()))
        self.credential_id = os.urandom(32)

    def sign(self, data: bytes) -> bytes:
        if self.kind == "p256":
            return self.private.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.kind == "ed25519":
            return self.private.sign(data)
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def assert_challenge(self, challenge: bytes, counter: int = 7) -> tuple[bytes, bytes, bytes]:
        client_data = json.dumps({"type": "webauthn.get", "challenge": websafe_encode(challenge),
                                  "origin": settings.origin, "crossOrigin": False}).encode()
        auth_data = hashlib.sha256(settings.rp_id.encode()).digest() + bytes([0x05]) + struct.pack(">I", counter)
        return auth_data, client_data, self.sign(auth_data + hashlib.sha256(client_data).digest())


def attacker_bureau(name: str = "淄博市张店区行政审批服务局") -> Bureau:
    """A CA the attacker made, with the bureau's name on it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, "签章证书")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return Bureau(key, cert, cert)


def key_certificate(issuer: Bureau, key: AnyKey, items: list[str], valid_from: date, valid_until: date,
                    staff_no: str = "S001", name: str = "张晓梅") -> x509.Certificate:
    scope = keycerts.Scope(1, ["SCZT"], items, "0" * 64, websafe_encode(key.credential_id))
    return keycerts.issue(issuer, key.cose, staff_no, name, valid_from, valid_until, scope)


def forge(document: bytes, payload: dict, key: AnyKey, certificate: x509.Certificate, issuer: Bureau,
          sealer: PadesSealer) -> bytes:
    """The whole pipeline as the server runs it, with the attacker's choices."""
    payload = {**payload, "key": {"credential_id": websafe_encode(key.credential_id),
                                  "fingerprint": evidence.key_fingerprint(key.cose),
                                  "certificate_serial": format(certificate.serial_number, "x")},
               "document": {"sha256": hashlib.sha256(document).hexdigest(), "length": len(document)}}
    payload_bytes = canonical_json(payload)
    challenge = hashlib.sha256(payload_bytes).digest() + os.urandom(evidence.NONCE_BYTES)
    auth_data, client_data, signature = key.assert_challenge(challenge)
    der = [certificate.public_bytes(serialization.Encoding.DER), issuer.certificate_der]
    raw = evidence.build_evidence(payload=payload_bytes, challenge=challenge, credential_id=key.credential_id,
                                  cose_key=key.cose, authenticator_data=auth_data, client_data_json=client_data,
                                  signature=signature, certificates=der)
    return sealer.seal(evidence.attach_evidence(document, raw), "伪造")
