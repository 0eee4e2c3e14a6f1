"""calendar: see app/rules/README.md."""
