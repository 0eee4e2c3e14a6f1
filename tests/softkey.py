"""A software FIDO2 authenticator speaking WebAuthn JSON, for rule-level tests.

The browser tests use Chromium's virtual authenticator instead; this one lets unit tests make
exactly the responses they need (bad flags, lower counters, other origins)."""

from __future__ import annotations

import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode

from app.config import settings

UP, UV, AT = 0x01, 0x04, 0x40


class SoftKey:
    def __init__(self, rp_id: str = settings.rp_id, origin: str = settings.origin):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.rp_id, self.origin = rp_id, origin
        self.counter = 0

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def create(self, options_json: str, flags: int = UP | UV, aaguid: bytes = b"\0" * 16,
               attestation: str = "none", batch: "tuple | None" = None) -> dict:
        """attestation: "none"; "self" (packed, signed by the credential key); "packed" (batch =
        (private key, [DER certificates leaf first]))."""
        options = json.loads(options_json)
        cose = cbor.encode(ES256.from_cryptography_key(self.private_key.public_key()))
        attested = aaguid + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        client_data = json.dumps({"type": "webauthn.create", "challenge": options["challenge"],
                                  "origin": self.origin, "crossOrigin": False}).encode()
        auth_data = self._auth_data(flags | AT, attested)
        signed = auth_data + hashlib.sha256(client_data).digest()
        if attestation == "none":
            fmt, statement = "none", {}
        elif attestation == "self":
            fmt, statement = "packed", {"alg": -7, "sig": self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))}
        else:
            batch_key, chain = batch
            fmt, statement = "packed", {"alg": -7, "sig": batch_key.sign(signed, ec.ECDSA(hashes.SHA256())),
                                        "x5c": chain}
        att_obj = cbor.encode({"fmt": fmt, "attStmt": statement, "authData": auth_data})
        return {"id": websafe_encode(self.credential_id), "rawId": websafe_encode(self.credential_id),
                "type": "public-key", "response": {"clientDataJSON": websafe_encode(client_data),
                                                   "attestationObject": websafe_encode(att_obj)}}

    def get(self, options_json: str, flags: int = UP | UV, origin: str | None = None,
            bump: int = 1, bogus: bool = False) -> dict:
        options = json.loads(options_json)
        self.counter += bump
        client_data = json.dumps({"type": "webauthn.get", "challenge": options["challenge"],
                                  "origin": origin or self.origin, "crossOrigin": False}).encode()
        auth_data = self._auth_data(flags)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        if bogus:
            signature = self.private_key.sign(b"something else", ec.ECDSA(hashes.SHA256()))
        return {"id": websafe_encode(self.credential_id), "rawId": websafe_encode(self.credential_id),
                "type": "public-key", "response": {"clientDataJSON": websafe_encode(client_data),
                                                   "authenticatorData": websafe_encode(auth_data),
                                                   "signature": websafe_encode(signature)}}


def challenge_of(options_json: str) -> bytes:
    return websafe_decode(json.loads(options_json)["challenge"])


def attestation_ca(aaguid: bytes, name: str = "Test Key Vendor"):
    """A vendor root and a batch certificate for a key model, as FIDO packed attestation wants
    (OU=Authenticator Attestation, id-fido-gen-ce-aaguid extension)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID, ObjectIdentifier

    now = datetime.datetime.now(datetime.timezone.utc)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Root CA")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256()))
    batch_key = ec.generate_private_key(ec.SECP256R1())
    batch_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} Batch")])
    batch = (x509.CertificateBuilder().subject_name(batch_name).issuer_name(root_name)
             .public_key(batch_key.public_key()).serial_number(2)
             .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"),
                                                       b"\x04\x10" + aaguid), critical=False)
             .sign(root_key, hashes.SHA256()))
    return root.public_bytes(Encoding.PEM).decode(), (batch_key, [batch.public_bytes(Encoding.DER)])
