"""Manage a user's public API keys from the command line (for operators; people use the Developers page).

    .venv/bin/python scripts/api_key.py create ada@example.com "my laptop" --scopes generate,read,delete
    .venv/bin/python scripts/api_key.py list ada@example.com
    .venv/bin/python scripts/api_key.py revoke ada@example.com 3

Uses the same settings as the app (DATABASE_URL or the SQLite file under DATA_DIR). The key is printed once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from palett.models import User  # noqa: E402
from palett.services.accounts import api_keys  # noqa: E402
from palett.services.common.db import session_scope  # noqa: E402
from palett.services.common.errors import UserError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create")
    create.add_argument("email")
    create.add_argument("name")
    create.add_argument("--scopes", default=",".join(api_keys.SCOPES))
    listing = sub.add_parser("list")
    listing.add_argument("email")
    revoke = sub.add_parser("revoke")
    revoke.add_argument("email")
    revoke.add_argument("key_id", type=int)
    args = parser.parse_args(argv)
    with session_scope() as db:
        user = db.exec(select(User).where(User.email == args.email.strip().lower())).first()
        if user is None or user.id is None:
            print(f"no user {args.email}", file=sys.stderr)
            return 1
        try:
            if args.command == "create":
                made = api_keys.create(db, user_id=user.id, name=args.name, scopes=args.scopes.split(","),
                                      via="scripts/api_key.py")
                print(f"key #{made.key.id} {made.key.prefix} ({', '.join(made.key.scopes)}); shown once:")
                print(made.secret)
            elif args.command == "list":
                for key in api_keys.list_keys(db, user_id=user.id):
                    state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
                    used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
                    print(f"#{key.id} {key.prefix} {key.name!r} [{','.join(key.scopes)}] {state}, last used {used}")
            elif not api_keys.revoke(db, user_id=user.id, key_id=args.key_id, via="scripts/api_key.py"):
                print("no such active key", file=sys.stderr)
                return 1
        except UserError as exc:
            print(exc.message, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
