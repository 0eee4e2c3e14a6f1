"""Security keys (WebAuthn credentials), enrollment links, ceremonies in flight, sign-in sessions."""

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import bytes_field, json_field, utcnow


class SecurityKey(SQLModel, table=True):
    """密钥. The public key is kept for life, even after revocation, so old signatures verify."""

    __tablename__ = "security_key"

    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    credential_id: bytes = bytes_field(unique=True)
    credential_data: bytes = bytes_field()  # AttestedCredentialData (AAGUID, id, COSE key)
    aaguid: str = Field(default="", max_length=36)
    attestation_format: str = Field(default="", max_length=32)
    transports: list = json_field()
    sign_count: int = 0
    authorization_id: Optional[int] = Field(default=None, foreign_key="authorization.id")
    scope_digest: Optional[str] = Field(default=None, max_length=64)
    scope_items: list = json_field()  # item codes resolved at binding: catalog edits cannot widen them
    registered_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    registered_at: datetime = Field(default_factory=utcnow)
    last_used_at: Optional[datetime] = None
    status: str = Field(default="active", max_length=16)  # active | revoked | suspect
    attestation_object: bytes = bytes_field()  # verbatim, so a model can be suspended later
    suspect_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None
    revoked_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    revoke_reason: Optional[str] = None


class EnrollmentToken(SQLModel, table=True):
    """One-time link for the first admin; only the SHA-256 of the token is stored."""

    __tablename__ = "enrollment_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_sha256: str = Field(unique=True, max_length=64)
    officer_id: int = Field(foreign_key="officer.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None  # a newer link, or an admin holding a key, kills it


class WebAuthnChallenge(SQLModel, table=True):
    """A WebAuthn ceremony in flight: single use (used_at set atomically), short-lived."""

    __tablename__ = "webauthn_challenge"

    id: str = Field(primary_key=True, max_length=32)
    purpose: str = Field(max_length=16)  # enroll | register | signin | sign
    officer_id: Optional[int] = Field(default=None, foreign_key="officer.id")
    state: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    context: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: Optional[datetime] = None


class LoginSession(SQLModel, table=True):
    """A signed-in session, bound to the key that opened it (六(二))."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    key_id: int = Field(foreign_key="security_key.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: Optional[datetime] = None
    end_reason: Optional[str] = None
    stepped_up_at: Optional[datetime] = None  # last fresh assertion by this officer, for admin power
    stepped_up_key_id: Optional[int] = Field(default=None, foreign_key="security_key.id")
    # The tab's Reflex token is no credential (it travels in the socket URL): the session also
    # needs a secret held only in an HttpOnly cookie, handed over once for a one-time ticket.
    secret_sha256: str = Field(default="", max_length=64)
    bind_ticket_sha256: Optional[str] = Field(default=None, max_length=64)
    bound_at: Optional[datetime] = None


class SignInAttempt(SQLModel, table=True):
    """Every sign-in attempt, for rate limiting per client and per officer."""

    __tablename__ = "signin_attempt"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    client: str = Field(max_length=100, index=True)
    staff_no: str = Field(max_length=64, index=True)
    ok: bool = False
    reason: Optional[str] = Field(default=None, max_length=64)


class AttestationPolicy(SQLModel, table=True):
    """Which key models may be registered. Each change is a new row; the newest is in force."""

    __tablename__ = "attestation_policy"

    id: Optional[int] = Field(default=None, primary_key=True)
    allowed_aaguids: list = json_field()  # empty = any key model
    pinned_roots: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # aaguid -> [PEM]
    created_at: datetime = Field(default_factory=utcnow)
    created_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    reason: str = ""
