"""``rendezvous serve | migrate``."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
import sys

import uvicorn

from app.config import Settings
from app.migrate import upgrade

log = logging.getLogger("rendezvous")


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
        )
        return 0
    from app.main import create_app  # the app reads settings at build time; build it after the checks

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0


def migrate(_args: argparse.Namespace) -> int:
    settings = Settings()
    upgrade(settings.database_url)
    print("migrated to head", file=sys.stderr)
    return 0


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
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
