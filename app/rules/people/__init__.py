"""people: see app/rules/README.md."""
