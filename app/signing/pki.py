"""The bureau's certificates: a root, and a signing certificate (a CA under the root) that seals
decision PDFs, certifies approvers' WebAuthn keys, signs revocation lists and audit checkpoints.

On a fresh install `python -m app.cli pki init-test` makes a test pair (测试 in the subjects); a
bureau imports the real signing certificate and key from its CA as PKCS#12 (`pki import`). Private
keys are stored encrypted (PKCS#8, BestAvailableEncryption) under APP_DATA_DIR/pki; the
passphrase comes from APP_PKI_PASSPHRASE or the file APP_PKI_PASSPHRASE_FILE
(default APP_DATA_DIR/secrets/pki-passphrase, made 0600 by init-test)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from app.config import settings
from app.rules.errors import refuse

ROOT_FILE, ROOT_KEY_FILE = "root.pem", "root-key.pem"  # the root key exists only for a test install
BUREAU_FILE, BUREAU_KEY_FILE = "bureau.pem", "bureau-key.pem"


def pki_dir() -> Path:
    return settings.data_dir / "pki"


def _passphrase_file() -> Path:
    return Path(os.environ.get("APP_PKI_PASSPHRASE_FILE") or settings.data_dir / "secrets" / "pki-passphrase")


def passphrase() -> bytes:
    if os.environ.get("APP_PKI_PASSPHRASE"):
        return os.environ["APP_PKI_PASSPHRASE"].encode()
    path = _passphrase_file()
    if not path.exists():
        raise refuse("pki.no_passphrase", "未配置本局证书私钥口令（APP_PKI_PASSPHRASE 或口令文件）")
    return path.read_bytes().strip()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _encrypted(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(passphrase()))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.organ_name),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ski(public_key) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def _ca_certificate(subject: x509.Name, public_key, issuer: x509.Name, issuer_key, path_length: int | None,
                    years: int, issuer_public_key) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(_ski(public_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key), critical=False)
            .sign(issuer_key, hashes.SHA256()))


def init_test_pki() -> bool:
    """A test root and signing certificate, marked 测试, when none exists. True if it made them."""
    directory = pki_dir()
    if (directory / BUREAU_FILE).exists():
        return False
    pass_file = _passphrase_file()
    if not os.environ.get("APP_PKI_PASSPHRASE") and not pass_file.exists():
        _write(pass_file, secrets.token_urlsafe(32).encode())
    root_key, bureau_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = _name("测试根证书（不得用于正式审批）")
    root = _ca_certificate(root_name, root_key.public_key(), root_name, root_key, 1, 20, root_key.public_key())
    bureau = _ca_certificate(_name("测试签章证书（不得用于正式审批）"), bureau_key.public_key(), root_name, root_key,
                             0, 10, root_key.public_key())
    _write(directory / ROOT_FILE, root.public_bytes(serialization.Encoding.PEM))
    _write(directory / ROOT_KEY_FILE, _encrypted(root_key))
    _store_bureau(bureau, bureau_key)
    return True


def _store_bureau(cert: x509.Certificate, key) -> None:
    _write(pki_dir() / BUREAU_KEY_FILE, _encrypted(key))
    _write(pki_dir() / BUREAU_FILE, cert.public_bytes(serialization.Encoding.PEM))
    bureau.cache_clear()


def import_pkcs12(data: bytes, password: bytes | None) -> x509.Certificate:
    """The bureau's real signing certificate from its CA: the key, the certificate (a CA allowed to
    sign certificates and CRLs) and the chain up to the root, which becomes the trust anchor."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        raise refuse("pki.bad_pkcs12", "PKCS#12 文件无法读取或口令错误")
    if key is None or cert is None:
        raise refuse("pki.bad_pkcs12", "PKCS#12 文件中缺少私钥或证书")
    constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    if not (constraints.ca and usage.key_cert_sign and usage.crl_sign and usage.digital_signature):
        raise refuse("pki.not_a_ca", "签章证书须能签发证书和吊销列表（CA、keyCertSign、cRLSign、digitalSignature）")
    roots = [c for c in chain if c.issuer == c.subject]
    if not roots:
        raise refuse("pki.no_root", "PKCS#12 文件中缺少根证书")
    _write(pki_dir() / ROOT_FILE, roots[0].public_bytes(serialization.Encoding.PEM))
    _store_bureau(cert, key)
    return cert


@dataclass(frozen=True)
class Bureau:
    key: object
    certificate: x509.Certificate
    root: x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


@lru_cache(maxsize=1)
def bureau() -> Bureau:
    """Loaded once per process (decrypting the key costs a scrypt/PBKDF run)."""
    directory = pki_dir()
    if not (directory / BUREAU_FILE).exists():
        raise refuse("pki.missing", "本局签章证书未配置：请运行 python -m app.cli pki init-test 或导入正式证书")
    key = serialization.load_pem_private_key((directory / BUREAU_KEY_FILE).read_bytes(), passphrase())
    certificate = x509.load_pem_x509_certificate((directory / BUREAU_FILE).read_bytes())
    root = x509.load_pem_x509_certificate((directory / ROOT_FILE).read_bytes())
    return Bureau(key, certificate, root)
