"""Every page module is imported here so that the app compiles it (notes/reflex-0.10.md §2)."""

from app.pages import (audits, calendar, catalog, counter, enroll, item, officer, publicity, roster,  # noqa: F401
                       signin, spot_checks, supervision, verify)
