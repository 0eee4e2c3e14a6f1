"""Offline verification of a decision PDF with only the bureau's root certificate.

    python -m app.signing.verify DECISION.pdf [--root ROOT.pem] [--crl BUREAU.crl]

Exit 0: valid — every check passed and the certificates chain to the given root (the approver is
named). Exit 1: invalid, or not fully verifiable (no root given: what could and could not be
established is printed). Exit 2: unreadable (not a decision PDF, damaged, over a limit).
Runs the same strict verifier as the /verify page (app.signing.proof), under the same memory and
CPU limits. docs/evidence.md specifies every check."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from cryptography import x509

from app.rules.errors import Refused
from app.signing.evidence import MAX_UPLOAD
from app.signing.proof import Verdict, check_file, der_certificate, der_crl
from app.signing.sandbox import limit_resources

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def report(verdict: Verdict) -> int:
    """Print the verdict first, then each check; return the exit code."""
    payload = json.loads(verdict.payload)  # strictly checked already
    if verdict.version == 1:
        print(f"未能完整核验（v1 格式）：{payload['document_number']}" if verdict.intact
              else "无效：至少一项检查未通过")
    elif verdict.valid:
        print(f"有效：{payload['document_number']}（{payload['title']}）由 {verdict.approver['name']}"
              f"（工号 {verdict.approver['staff_no']}）于 {payload['decided_at']} 以其安全密钥签署，"
              f"本局签章有效，文件未被改动")
    elif all(c.ok for c in verdict.checks):
        print(f"未能完整核验：{payload['document_number']}")
    else:
        print("无效：至少一项检查未通过")
    for note in verdict.notes:
        print(f"说明：{note}")
    for c in verdict.checks:
        print(f"[{'通过' if c.ok else '失败'}] {c.name}{'：' + c.detail if c.detail else ''}")
    return EXIT_VALID if verdict.valid else EXIT_INVALID


def verify_pdf(pdf: bytes, root: bytes | None = None, crl: bytes | None = None) -> int:
    try:
        verdict = check_file(pdf, der_certificate(root) if root else None, der_crl(crl) if crl else None)
    except Refused as exc:  # a damaged or hostile file gives a verdict, not a traceback
        print(f"无法核验：{exc.message}")
        return EXIT_UNREADABLE
    return report(verdict)


def _read(path: Path | None, limit: int) -> bytes | None:
    if path is None:
        return None
    with path.open("rb") as f:
        return f.read(limit + 1)  # over the limit: refused by the reader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="核验独立审批决定书 PDF：本局签章、密钥签名、密钥证书与授权范围")
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--root", type=Path, help="本局根证书（PEM 或 DER），可从核验页面下载")
    parser.add_argument("--crl", type=Path, help="本局吊销列表（可选），用于检查签署时密钥是否已被撤销")
    args = parser.parse_args(argv)
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # its tracebacks on a tampered file: the verdict says it
    limit_resources()
    try:
        pdf = _read(args.pdf, MAX_UPLOAD)
        root = _read(args.root, 64 * 1024)
        crl = _read(args.crl, 4 * 1024 * 1024)
    except OSError as exc:
        print(f"无法核验：无法读取文件（{exc.strerror}）")
        return EXIT_UNREADABLE
    try:  # an unreadable root or CRL file: nothing to verify against
        root = der_certificate(root) if root else None
        crl = der_crl(crl) if crl else None
        if crl is not None:
            x509.load_der_x509_crl(crl)
        if root is not None:
            x509.load_der_x509_certificate(root)
    except ValueError as exc:
        print(f"无法核验：根证书或吊销列表无法读取（{exc}）")
        return EXIT_UNREADABLE
    return verify_pdf(pdf, root, crl)


if __name__ == "__main__":
    sys.exit(main())
