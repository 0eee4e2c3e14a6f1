"""Operator commands.

    python -m app.cli migrate                         # Alembic upgrade to head
    python -m app.cli demo                            # demo data into an empty database
    python -m app.cli enroll-admin STAFF_NO NAME      # one-time link for the first admin's key
"""

from __future__ import annotations

import argparse
import sys

from app.rules.errors import Refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the database schema")
    sub.add_parser("demo", help="load demo data into an empty database")
    enroll = sub.add_parser("enroll-admin", help="print a one-time enrollment link for the first admin")
    enroll.add_argument("staff_no")
    enroll.add_argument("name")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        from app.migrate import upgrade

        upgrade()
    elif args.command == "demo":
        from app.demo import load_demo_data

        print("已载入演示数据" if load_demo_data() else "数据库非空，未载入演示数据")
    else:
        from app.rules.keys import create_first_admin_link

        try:
            print(create_first_admin_link(args.staff_no, args.name))
        except Refused as exc:
            print(exc.message, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
