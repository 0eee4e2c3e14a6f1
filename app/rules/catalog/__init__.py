"""catalog: see app/rules/README.md."""
