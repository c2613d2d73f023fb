"""``rendezvous serve | migrate | keys create|list|revoke``."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import re
import socket
import sys

import uvicorn

from app.access import reads, service
from app.access.schemas import NAMESPACE_PATTERN
from app.config import Settings
from app.core.clock import SystemClock
from app.core.db import Database, make_engine
from app.errors import AppError
from app.migrate import upgrade

log = logging.getLogger("rendezvous")
# On SIGTERM, requests still open (event streams, long-polls) get this long to end before they are cut
# off; then the app stops (its deliveries in flight finish, its claims go to the other replicas).
GRACEFUL_SECONDS = 10


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def serve(args: argparse.Namespace) -> int:
    settings = Settings(dev=True) if args.dev else Settings()
    if settings.dev and not is_loopback(args.host):
        print(f"refusing to serve dev mode (no auth) on non-loopback host {args.host!r}", file=sys.stderr)
        return 2
    if settings.dev:
        print(
            "WARNING: dev mode: no authentication, namespace 'default', loopback callbacks allowed. "
            "Never expose this server.",
            file=sys.stderr,
        )
    if args.workers > 1:
        # Each worker process builds its own app from the environment: a replica of the others.
        os.environ["RENDEZVOUS_DEV"] = "true" if settings.dev else "false"
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            access_log=False,  # the app writes its own access log (rendezvous.access)
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        return 0
    from app.main import create_app  # the app reads settings at build time; build it after the checks

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    return 0


def migrate(_args: argparse.Namespace) -> int:
    settings = Settings()
    upgrade(settings.database_url)
    print("migrated to head", file=sys.stderr)
    return 0


async def _keys(args: argparse.Namespace) -> int:
    settings = Settings()
    db = Database(make_engine(settings.database_url, pool_size=2), SystemClock())
    try:
        if args.action == "create":
            row, key = await db.run(
                lambda tx: service.create_key(tx, namespace=args.namespace, role=args.role, name=args.name)
            )
            print(
                f"created {row['id']} ({row['role']} in {row['namespace']}); the key, shown only now:",
                file=sys.stderr,
            )
            print(key)
        elif args.action == "list":
            await _print_keys(db, args.namespace)
        else:
            row = await db.run(lambda tx: service.revoke_key(tx, key_id=args.key_id, namespace=None))
            print(f"revoked {row['id']} ({row['namespace']})", file=sys.stderr)
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await db.engine.dispose()
    return 0


async def _print_keys(db: Database, namespace: str | None) -> None:
    async with db.read() as conn:
        cursor = None
        while True:
            page = await reads.list_keys(conn, namespace=namespace, limit=1000, cursor=cursor)
            for k in page.items:
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                label = k.name or ""
                print(f"{k.id}  {k.namespace}  {k.role:5}  {k.prefix}…  {state}  {label}")
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


def namespace_name(value: str) -> str:
    if not re.fullmatch(NAMESPACE_PATTERN, value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a namespace name ({NAMESPACE_PATTERN})")
    return value


def keys(args: argparse.Namespace) -> int:
    return asyncio.run(_keys(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rendezvous", description="HTTP coordination service for jobs")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the HTTP API")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument(
        "--dev", action="store_true", help="no auth, loopback callbacks; loopback hosts only"
    )
    p_serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the API; each is a replica (PostgreSQL; keep 1 on SQLite)",
    )
    p_serve.set_defaults(fn=serve)
    p_migrate = sub.add_parser("migrate", help="upgrade the database schema to the latest revision")
    p_migrate.set_defaults(fn=migrate)
    p_keys = sub.add_parser("keys", help="API keys: create (prints the key once), list, revoke")
    keys_sub = p_keys.add_subparsers(dest="action", required=True)
    p_create = keys_sub.add_parser("create", help="create a key and print it")
    p_create.add_argument("--namespace", required=True, type=namespace_name)
    p_create.add_argument("--role", required=True, choices=("read", "write", "admin"))
    p_create.add_argument("--name", default=None, help="a label to recognise the key by")
    p_list = keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    p_list.add_argument("--namespace", default=None, type=namespace_name)
    p_revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    p_revoke.add_argument("key_id")
    p_keys.set_defaults(fn=keys)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
