"""`resolutionflow sync-export FILE` / `sync-import FILE`: signed sync bundles from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _user(session, email: str):
    from sqlmodel import select  # noqa: PLC0415

    from resolutionflow_app.db.models import User  # noqa: PLC0415
    from resolutionflow_app.services.auth import normalise_email  # noqa: PLC0415

    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise SystemExit(f"No user with the email {email!r} on this installation.")
    return user


def _cmd_export(args: argparse.Namespace) -> int:
    from resolutionflow_app.db.engine import session_scope  # noqa: PLC0415
    from resolutionflow_app.domain.errors import ServiceError  # noqa: PLC0415
    from resolutionflow_app.services import sync, sync_client  # noqa: PLC0415

    try:
        with session_scope() as session:
            user = _user(session, args.email)
            data = (
                sync.export_pull_bundle(session=session, actor=user)
                if args.kind == "pull"
                else sync_client.export_bundle(session=session, actor=user)
            )
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    Path(args.file).write_bytes(data)
    print(f"Wrote a signed {args.kind} bundle to {args.file} ({len(data)} bytes).")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from resolutionflow_app.db.engine import session_scope  # noqa: PLC0415
    from resolutionflow_app.domain.errors import ServiceError  # noqa: PLC0415
    from resolutionflow_app.services import sync_client  # noqa: PLC0415

    try:
        data = Path(args.file).read_bytes()
        with session_scope() as session:
            run = sync_client.import_bundle(session=session, actor=_user(session, args.email), data=data)
    except OSError as exc:
        print(f"Cannot read {args.file}: {exc.strerror}.", file=sys.stderr)
        return 1
    except ServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(run.message)
    for item in run.items:
        if item.get("status") in ("conflict", "rejected"):
            print(f"  {item['status']}: session {item['id']}: {item.get('message')}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register sync-export and sync-import on the `resolutionflow` parser."""
    p = sub.add_parser(
        "sync-export", help="write a signed sync bundle (push: this desktop's sessions; pull: this server's flows)"
    )
    p.add_argument("file")
    p.add_argument("--email", required=True, help="whose sessions / flows (a user of this installation)")
    p.add_argument(
        "--kind", choices=("push", "pull"), default="push", help="push (default, on a desktop) or pull (on a server)"
    )
    p.set_defaults(fn=_cmd_export)
    p = sub.add_parser(
        "sync-import", help="apply a signed sync bundle (a pull bundle on a desktop, a push bundle on a server)"
    )
    p.add_argument("file")
    p.add_argument("--email", required=True, help="the user it is applied for")
    p.set_defaults(fn=_cmd_import)
