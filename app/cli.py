"""Operator commands.

    python -m app.cli migrate                         # Alembic upgrade to head
    python -m app.cli demo                            # demo data into an empty database
    python -m app.cli enroll-admin STAFF_NO NAME      # one-time link for the first admin's key
    python -m app.cli pki init-test                   # a test root and signing certificate (测试), if none
    python -m app.cli pki import FILE.p12             # the bureau's real signing certificate (password:
                                                      #   APP_PKI_P12_PASSWORD or APP_PKI_P12_PASSWORD_FILE)
    python -m app.cli audit verify                    # the audit chain and every signed checkpoint
    python -m app.cli audit checkpoint                # sign a checkpoint of the log's head now
    python -m app.cli backup FILE                     # database, PDFs, checkpoints, certificates (keys stay encrypted)
    python -m app.cli restore FILE                    # into an empty install
    python -m app.cli spotcheck draw --population FILE --seed SEED [--rate 20]
                                                      # re-run a quarterly spot-check draw from the exported
                                                      #   population file (docs/spot-check.md); no database
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.rules.errors import Refused


def _p12_password() -> bytes | None:
    if os.environ.get("APP_PKI_P12_PASSWORD"):
        return os.environ["APP_PKI_P12_PASSWORD"].encode()
    path = os.environ.get("APP_PKI_P12_PASSWORD_FILE")
    return Path(path).read_bytes().strip() if path else None


def _run(args) -> int:
    if args.command == "migrate":
        from app.migrate import upgrade

        upgrade()
    elif args.command == "demo":
        from app.demo import load_demo_data

        print("已载入演示数据" if load_demo_data() else "数据库非空，未载入演示数据")
    elif args.command == "enroll-admin":
        from app.rules.people.keys import create_first_admin_link

        print(create_first_admin_link(args.staff_no, args.name))
    elif args.command == "pki":
        from app.signing import pki

        if args.action == "init-test":
            print("已生成测试证书（不得用于正式审批）" if pki.init_test_pki() else "本局证书已存在，未改动")
        else:
            cert = pki.import_pkcs12(Path(args.file).read_bytes(), _p12_password())
            print(f"已导入签章证书：{cert.subject.rfc4514_string()}")
    elif args.command == "audit":
        from app.rules.supervision import checkpoints

        if args.action == "checkpoint":
            row = checkpoints.sign_now()
            print(f"已签署检查点：{row.size} 条事件" if row else "日志自上个检查点以来没有新事件，未签署")
            return 0
        report = checkpoints.verify_all()
        print(f"哈希链：{'完整' if report.chain_ok else f'第 {report.first_bad_seq} 条起被改动'}；"
              f"检查点 {report.checkpoints} 个")
        for problem in report.problems:
            print(f"问题：{problem}")
        print("审计日志核验通过" if report.ok else "审计日志核验未通过")
        return 0 if report.ok else 1
    elif args.command == "backup":
        from app import backup

        print(backup.backup(Path(args.file)))
    elif args.command == "restore":
        from app import backup

        print(backup.restore(Path(args.file)))
    elif args.command == "spotcheck":
        return _spotcheck_draw(args)
    return 0


def _spotcheck_draw(args) -> int:
    """Prints the draw result file, byte for byte what the bureau's /spotchecks page exports."""
    from app.rules.supervision import spot_draw

    population = spot_draw.parse_population(Path(args.population).read_bytes())
    if args.rate is not None and args.rate != population.rate_percent:
        print(f"抽查比例 {args.rate}% 与总体文件中承诺的 {population.rate_percent}% 不一致", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(spot_draw.format_draw(spot_draw.draw(population, args.seed)).encode("utf-8"))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database schema")
    sub.add_parser("demo", help="load demo data into an empty database")
    enroll = sub.add_parser("enroll-admin", help="print a one-time enrollment link for the first admin")
    enroll.add_argument("staff_no")
    enroll.add_argument("name")
    pki = sub.add_parser("pki", help="the bureau's certificates")
    pki_sub = pki.add_subparsers(dest="action", required=True)
    pki_sub.add_parser("init-test", help="make a test root and signing certificate if none exists")
    imp = pki_sub.add_parser("import", help="import the bureau's signing certificate and key (PKCS#12)")
    imp.add_argument("file")
    audit = sub.add_parser("audit", help="the audit log")
    audit.add_argument("action", choices=["verify", "checkpoint"])
    for name in ("backup", "restore"):
        cmd = sub.add_parser(name)
        cmd.add_argument("file")
    spot = sub.add_parser("spotcheck", help="quarterly spot checks")
    spot_sub = spot.add_subparsers(dest="action", required=True)
    spot_draw = spot_sub.add_parser("draw", help="re-run a draw from the exported population file and the seed")
    spot_draw.add_argument("--population", required=True, help="the population file exported from /spotchecks")
    spot_draw.add_argument("--seed", required=True, help="the seed recorded at the ceremony (decimal digits)")
    spot_draw.add_argument("--rate", type=int, default=None,
                           help="percentage per approver (default and only accepted value: the file's)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except Refused as exc:
        print(exc.message, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
