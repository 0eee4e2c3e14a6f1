"""The bureau's seal on a decision PDF, behind one interface.

Today: a PAdES certification signature by the bureau's signing certificate (DocMDP "no changes":
after it, only validation data and timestamps may follow), B-B, or B-T with an RFC 3161 timestamp
when APP_TSA_URL is set. The legal 电子印章 of the unified seal platform (GB/T 38540) would be
another `Sealer`; the round seal in the document stays a picture."""

from __future__ import annotations

import os
from functools import lru_cache
from io import BytesIO
from typing import Protocol

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.config import settings
from app.signing.pki import Bureau, bureau

SEAL_FIELD = "BureauSeal"


class Sealer(Protocol):
    def seal(self, pdf: bytes, reason: str) -> bytes:
        """The whole file, sealed: nothing may be changed after it but validation data."""


class PadesSealer:
    def __init__(self, bureau: Bureau, tsa_url: str | None = None):
        key_der = bureau.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
        cert = asn1_x509.Certificate.load(bureau.certificate_der)
        root = asn1_x509.Certificate.load(bureau.root.public_bytes(serialization.Encoding.DER))
        # Parsed once: pyHanko would otherwise re-load the key for every signature. The CMS then
        # carries exactly the signer's certificate and the root (docs/evidence.md §1).
        self._signer = signers.SimpleSigner(signing_cert=cert, signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
                                            cert_registry=SimpleCertificateStore.from_certs([root]))
        self._timestamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10) if tsa_url else None

    def seal(self, pdf: bytes, reason: str) -> bytes:
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
            certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES, reason=reason,
            location=settings.organ_name, name=settings.organ_name)
        out = BytesIO()
        signers.PdfSigner(meta, self._signer, timestamper=self._timestamper).sign_pdf(
            IncrementalPdfFileWriter(BytesIO(pdf)), output=out)
        return out.getvalue()


@lru_cache(maxsize=1)
def sealer() -> Sealer:
    return PadesSealer(bureau(), os.environ.get("APP_TSA_URL") or None)
