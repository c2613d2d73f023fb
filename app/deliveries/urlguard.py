"""SSRF guard, applied whenever a connection is made: only global unicast, unless a CIDR is allowed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpx

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


class BlockedDestination(httpx.ConnectError):
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


async def allowed_address(policy: AddressPolicy, resolver: Resolver, host: str, port: int) -> str:
    """The first address ``host`` resolves to that ``policy`` allows; the only one to connect to."""
    literal = _literal(host)
    try:
        addresses = [literal] if literal else await resolver(host, port)
    except OSError as exc:
        raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
    reasons = []
    for address in addresses:
        reason = policy.reason_blocked(address)
        if reason is None:
            return address
        reasons.append(reason)
    raise BlockedDestination(f"blocked: {host} resolves only to forbidden addresses ({'; '.join(reasons)})")


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
