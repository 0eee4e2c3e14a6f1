"""Every page module is imported here so that the app compiles it (notes/reflex-0.10.md §2)."""

from app.pages import (assessments, audits, calendar, catalog, counter, dashboard, enroll, item, officer,  # noqa: F401
                       publicity, responsibility, roster, signin, supervision, verify, visits)
