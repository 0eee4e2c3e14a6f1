"""Key certificates through a key's life: issued when an admin binds a key to an authorization
(registration, renewal, confirmed widening), revoked with the key or the authorization, and every
revocation published in a new signed revocation list (CRL)."""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization
from fido2 import cbor
from fido2.utils import websafe_encode
from fido2.webauthn import AttestedCredentialData
from sqlalchemy import event
from sqlmodel import Session, select

from app.config import settings
from app.models import Authorization, KeyCertificate, Officer, RevocationList, SecurityKey
from app.models.base import utcnow
from app.rules.errors import Refused, refuse
from app.signing import keycerts
from app.signing.pki import bureau


def cose_key(key: SecurityKey) -> bytes:
    return cbor.encode(AttestedCredentialData(key.credential_data).public_key)


def issue(session: Session, key: SecurityKey, auth: Authorization) -> KeyCertificate:
    """A certificate for the key as it is bound now (authorization term, bound items, digest)."""
    officer = session.get(Officer, key.officer_id)
    scope = keycerts.Scope(auth.id, list(auth.scope_categories), list(key.scope_items), key.scope_digest or "",
                           websafe_encode(key.credential_id))
    cert = keycerts.issue(bureau(), cose_key(key), officer.staff_no, officer.name, auth.valid_from,
                          auth.valid_until, scope)
    row = KeyCertificate(key_id=key.id, authorization_id=auth.id, serial=format(cert.serial_number, "x"),
                         der=cert.public_bytes(serialization.Encoding.DER), scope_items=list(key.scope_items),
                         not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc)
    session.add(row)
    session.flush()
    return row


def current(session: Session, key: SecurityKey) -> KeyCertificate:
    """The newest unrevoked certificate of the key's present binding, or a refusal."""
    row = session.exec(select(KeyCertificate).where(KeyCertificate.key_id == key.id,
                                                    KeyCertificate.revoked_at.is_(None))
                       .order_by(KeyCertificate.id.desc())).first()
    if row is None or row.authorization_id != key.authorization_id or sorted(row.scope_items) != sorted(key.scope_items):
        raise refuse("key.no_certificate", "密钥没有与当前授权相符的证书，请联系工作组重新绑定")
    return row


def ensure(session: Session, key: SecurityKey) -> KeyCertificate | None:
    """The key's current certificate, issued now if its binding has none (a key cleared after
    being suspect while its authorization was renewed)."""
    if key.authorization_id is None:
        return None
    try:
        return current(session, key)
    except Refused:
        return issue(session, key, session.get(Authorization, key.authorization_id))


def revoke(session: Session, reason: str, *, key_id: int | None = None, authorization_id: int | None = None,
           at: datetime | None = None) -> list[str]:
    """Revoke the certificates of a key or of an authorization; publish a CRL if any was revoked."""
    query = select(KeyCertificate).where(KeyCertificate.revoked_at.is_(None))
    query = query.where(KeyCertificate.key_id == key_id) if key_id is not None \
        else query.where(KeyCertificate.authorization_id == authorization_id)
    rows = list(session.exec(query))
    when = at or utcnow()
    for row in rows:
        row.revoked_at, row.revoke_reason = when, reason[:200]
        session.add(row)
    if rows:
        session.flush()
        publish_crl(session)
    return [r.serial for r in rows]


def publish_crl(session: Session) -> RevocationList:
    """A new CRL of every revoked certificate, in the database and as APP_DATA_DIR/crl/bureau.crl."""
    row = RevocationList(der=b"")
    session.add(row)
    session.flush()
    revoked = [(int(r.serial, 16), r.revoked_at) for r in
               session.exec(select(KeyCertificate).where(KeyCertificate.revoked_at.is_not(None)))]
    row.der = der = keycerts.revocation_list(bureau(), row.id, revoked).public_bytes(serialization.Encoding.DER)
    session.add(row)

    @event.listens_for(session, "after_commit", once=True)
    def _export(_session) -> None:
        # Only once committed: a rolled-back revocation must never reach the published file.
        path = crl_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(der)

    return row


def crl_path():
    return settings.data_dir / "crl" / "bureau.crl"


def latest_crl(session: Session) -> bytes | None:
    row = session.exec(select(RevocationList).order_by(RevocationList.id.desc())).first()
    return row.der if row else None
