"""python -m services.identity                  run the API (and the outbox relay)
python -m services.identity create-staff --email E --office-code 13010 [--admin] [--name N]
                                             create a staff or admin account; password on stdin
python -m services.identity rotate-signing-key --dir DIR [--stage | --promote]
                                             rotate the token signing keys kept in DIR
                                             (signing-key.pem, previous-key.pem; SECURITY.md)"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from servicekit.logging import configure_logging
from servicekit.run import serve
from services.identity import cli
from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from services.identity.signing_keys import KeyFileError


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
    rotate = commands.add_parser(
        "rotate-signing-key",
        help="rotate the token signing keys of a directory (signing-key.pem, previous-key.pem)",
        description="Without an option: a new key signs from identity's next start and the "
        "current one becomes the previous one (still published, so its tokens keep verifying). "
        "--stage and --promote do the same in two steps, each followed by a rollout, so that no "
        "verifier meets a token before the key that signed it is published.",
    )
    rotate.add_argument("--dir", required=True, type=Path, help="the directory of the key files")
    step = rotate.add_mutually_exclusive_group()
    step.add_argument(
        "--stage",
        action="store_true",
        help="step 1 of 2: a new key into previous-key.pem (published, not signing yet)",
    )
    step.add_argument(
        "--promote",
        action="store_true",
        help="step 2 of 2: the staged key signs, the current one becomes the previous one",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.command == "rotate-signing-key":
        mode = "stage" if args.stage else "promote" if args.promote else "now"
        return cli.rotate_signing_key(args.dir, mode=mode)
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
    try:
        app = create_app(settings)
    except KeyFileError as exc:
        # one line naming the variable, as servicekit.settings says a bad setting
        print(f"hataraku: setting {exc}", file=sys.stderr, flush=True)
        return 1
    serve(app, settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
