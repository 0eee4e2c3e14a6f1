"""Keys and documents: WebAuthn ceremonies, decision PDFs, embedded evidence, verification.

Imports no Reflex; `python -m app.signing.verify FILE.pdf` runs offline."""
