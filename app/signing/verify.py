"""Offline verification of a decision PDF.

    python -m app.signing.verify DECISION.pdf

Exit 0: every check passed. Exit 1: a check failed. Exit 2: no readable evidence.
Runs the same strict reader as the /verify page, under the same memory and CPU limits."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.rules.errors import Refused
from app.signing.evidence import MAX_UPLOAD, offline_check
from app.signing.sandbox import limit_resources


def verify_pdf(pdf: bytes) -> int:
    try:
        checks, payload = offline_check(pdf)
    except Refused as exc:  # a damaged or hostile file gives a verdict, not a traceback
        print(f"无效：无法读取签署证据（{exc.message}）")
        return 2
    for c in checks:
        print(f"[{'通过' if c.ok else '失败'}] {c.name}{'：' + c.detail if c.detail else ''}")
    if all(c.ok for c in checks):
        decision = json.loads(payload)  # strictly checked by offline_check
        print(f"有效：{decision['document_number']} 由 {decision['approver']['name']}"
              f"（工号 {decision['approver']['staff_no']}）于 {decision['decided_at']} 以安全密钥签署")
        return 0
    print("无效：至少一项检查未通过")
    return 1


def verify_file(path: Path) -> int:
    try:
        with path.open("rb") as f:
            pdf = f.read(MAX_UPLOAD + 1)  # offline_check refuses anything longer
    except OSError as exc:
        print(f"无效：无法读取文件（{exc.strerror}）")
        return 2
    return verify_pdf(pdf)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="核验独立审批决定书 PDF 中的密钥签署证据")
    parser.add_argument("pdf", type=Path)
    args = parser.parse_args(argv)
    limit_resources()
    return verify_file(args.pdf)


if __name__ == "__main__":
    sys.exit(main())
