"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from app.models.audit import AuditEvent
from app.models.cases import Case, Decision, DocumentNumber, DocumentSequence
from app.models.keys import (AttestationPolicy, EnrollmentToken, LoginSession, SecurityKey, SignInAttempt,
                              WebAuthnChallenge)
from app.models.org import Authorization, Category, Department, Item, Officer

__all__ = [
    "AttestationPolicy", "AuditEvent", "Authorization", "Case", "Category", "Decision", "Department",
    "DocumentNumber", "DocumentSequence", "EnrollmentToken", "Item", "LoginSession",
    "Officer", "SecurityKey", "SignInAttempt", "WebAuthnChallenge",
]
