"""python -m services.identity                  run the API (and the outbox relay)
python -m services.identity create-staff --email E --office-code 13010 [--admin] [--name N]
                                             create a staff or admin account; password on stdin"""

from __future__ import annotations

import argparse
import asyncio
import sys

from servicekit.logging import configure_logging
from servicekit.run import serve
from services.identity import cli
from services.identity.app import create_app
from services.identity.settings import IdentitySettings


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m services.identity",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command")
    staff = commands.add_parser(
        "create-staff", help="create a staff (or admin) account; reads the password from stdin"
    )
    staff.add_argument("--email", required=True)
    staff.add_argument(
        "--office-code", required=True, help="the office's five-digit code, e.g. 13010"
    )
    staff.add_argument("--admin", action="store_true", help="an administrator rather than staff")
    staff.add_argument("--name", default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    settings = IdentitySettings()
    if args.command == "create-staff":
        configure_logging(service=settings.service_name, level="WARNING", json=settings.log_json)
        password = cli.read_password(sys.stdin)
        return asyncio.run(
            cli.create_staff(
                settings,
                email=args.email,
                office_code=args.office_code,
                admin=args.admin,
                name=args.name,
                password=password,
            )
        )
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    serve(create_app(settings), settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
