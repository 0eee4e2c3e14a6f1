"""Offline verification of a decision PDF.

    python -m app.signing.verify DECISION.pdf

Exit 0: every check passed. Exit 1: a check failed. Exit 2: no readable evidence."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.signing.evidence import extract_evidence, verify_evidence


def verify_file(path: Path) -> int:
    pdf = path.read_bytes()
    try:
        evidence = extract_evidence(pdf)
        checks = verify_evidence(pdf, evidence)
    except Exception as exc:  # a damaged file must give a verdict, not a traceback
        print(f"无效：无法读取签署证据（{type(exc).__name__}: {exc}）")
        return 2
    for c in checks:
        print(f"[{'通过' if c.ok else '失败'}] {c.name}{'：' + c.detail if c.detail else ''}")
    if all(c.ok for c in checks):
        payload = json.loads(evidence["payload"])
        print(f"有效：{payload['document_number']} 由 {payload['approver']['name']}"
              f"（工号 {payload['approver']['staff_no']}）于 {payload['decided_at']} 以安全密钥签署")
        return 0
    print("无效：至少一项检查未通过")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="核验独立审批决定书 PDF 中的密钥签署证据")
    parser.add_argument("pdf", type=Path)
    args = parser.parse_args(argv)
    return verify_file(args.pdf)


if __name__ == "__main__":
    sys.exit(main())
