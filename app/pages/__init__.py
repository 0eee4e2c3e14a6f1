"""Every page module is imported here so that the app compiles it (notes/reflex-0.10.md §2)."""

from app.pages import (  # noqa: F401
    assessments, audits, calendar, catalog, counter, dashboard, enroll, item, not_found, officer, publicity,
    responsibility, roster, settings, signin, spot_checks, supervision, verify, visits)
