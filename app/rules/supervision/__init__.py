"""supervision: see app/rules/README.md."""
