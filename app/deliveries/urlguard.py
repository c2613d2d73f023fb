"""SSRF guard, applied when a connection is made: only global unicast, unless a CIDR is allowed."""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Ranges that look global to ``is_global`` in some Python versions but reach private networks.
_ALWAYS_BLOCKED = [
    ipaddress.ip_network(n)
    for n in (
        "100.64.0.0/10",  # CGNAT
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
        "0.0.0.0/8",
        "192.88.99.0/24",  # 6to4 relay anycast
    )
]
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")


class BlockedDestination(httpcore.ConnectError):
    """Raised instead of connecting to an address the policy forbids."""


class AddressPolicy:
    """Decides whether an address may be connected to."""

    def __init__(self, allow_cidrs: Iterable[str]) -> None:
        self.allowed = [ipaddress.ip_network(c, strict=False) for c in allow_cidrs]

    def reason_blocked(self, address: str) -> str | None:
        """None when ``address`` may be reached, else why not."""
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allowed):
            return None
        if any(ip.version == net.version and ip in net for net in _ALWAYS_BLOCKED):
            return f"{ip} is in a blocked range (CGNAT, NAT64, 6to4 or Teredo)"
        if ip.is_loopback:
            return f"{ip} is a loopback address"
        if ip.is_link_local:
            return f"{ip} is a link-local address"
        if ip.is_multicast:
            return f"{ip} is a multicast address"
        if not ip.is_global or (ip.version == 6 and ip not in _GLOBAL_UNICAST_V6):
            return f"{ip} is not a global unicast address"
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class _Stream(httpcore.AsyncNetworkStream):
    """A connection of the inner backend whose ``is_readable``, asked of every pooled connection on every
    request, polls the socket directly instead of going through anyio's typed attributes."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, sock: socket.socket | None) -> None:
        self.inner = inner
        self.sock = sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self.inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Stream(await self.inner.start_tls(ssl_context, server_hostname, timeout), self.sock)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            if self.sock is None or self.sock.fileno() == -1:
                return True  # closed: as good as a server-initiated disconnect
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return bool(poller.poll(0))
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself and connects only to an address the policy allows."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        literal = _literal(host)
        try:
            addresses = [literal] if literal else await self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        reasons = []
        for address in addresses:
            reason = self.policy.reason_blocked(address)
            if reason is None:
                stream = await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
                return _Stream(stream, stream.get_extra_info("socket"))
            reasons.append(reason)
        raise BlockedDestination(
            f"blocked: {host} resolves only to forbidden addresses ({'; '.join(reasons)})"
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedDestination("blocked: unix sockets are not callback destinations")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def blocked_reason(exc: BaseException) -> str | None:
    """The guard's reason when ``exc`` (or what caused it) is a refusal to connect."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BlockedDestination):
            return str(current)
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
