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

    def create(self, options_json: str, flags: int = UP | UV) -> dict:
        options = json.loads(options_json)
        cose = cbor.encode(ES256.from_cryptography_key(self.private_key.public_key()))
        attested = b"\0" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id + cose
        client_data = json.dumps({"type": "webauthn.create", "challenge": options["challenge"],
                                  "origin": self.origin, "crossOrigin": False}).encode()
        att_obj = cbor.encode({"fmt": "none", "attStmt": {}, "authData": self._auth_data(flags | AT, attested)})
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
