"""counter: see app/rules/README.md."""
