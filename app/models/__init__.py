"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from app.models.audit import AuditEvent
from app.models.cases import (Case, CaseEvent, CaseNotice, Decision, DocumentNumber, DocumentSequence,
                              Publication)
from app.models.keys import (AttestationPolicy, EnrollmentToken, LoginSession, SecurityKey, SignInAttempt,
                              WebAuthnChallenge)
from app.models.supervision import Assessment, ReturnVisit, SpotCheck, SpotCheckReview
from app.models.pki import AuditCheckpoint, KeyCertificate, RevocationList
from app.models.storage import StoredFile
from app.models.org import (Authorization, CalendarEntry, CalendarYear, Category, Department, Item, ItemRevision,
                             Officer, OfficerRevision, Qualification)

__all__ = [
    "Assessment", "ReturnVisit", "SpotCheck", "SpotCheckReview",
    "AttestationPolicy", "AuditCheckpoint", "AuditEvent", "KeyCertificate", "RevocationList", "Authorization", "CalendarEntry", "CalendarYear", "ItemRevision",
    "OfficerRevision", "Qualification", "Case", "CaseEvent", "CaseNotice", "Publication", "Category", "Decision", "Department",
    "DocumentNumber", "DocumentSequence", "EnrollmentToken", "Item", "LoginSession",
    "Officer", "SecurityKey", "SignInAttempt", "StoredFile", "WebAuthnChallenge",
]
