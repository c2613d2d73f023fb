"""HTTP/1.1 POSTs for deliveries: idle connections kept per origin, each new one made through the SSRF guard.

httpx's client and httpcore's pool cost about 2 ms of CPU per request (request building, header merging,
a scan of every pooled connection, anyio streams): more than the rest of a delivery together. A webhook POST
needs little of that: one request shape, no redirects, cookies or auth flows, HTTP/1.1 only, a response read
up to a cap. httpx still parses URLs (as the API validated them), makes the TLS context, names the errors."""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import httpx

from app.deliveries.urlguard import AddressPolicy, Resolver, allowed_address

HEAD_LIMIT = 64 * 1024  # a response's status line and headers
READ_HIGH_WATER = 256 * 1024  # unread bytes at which the socket stops being read until some are consumed
NO_BODY = (204, 304)

Origin = tuple[bool, str, int]


@dataclass(frozen=True)
class Target:
    """A URL as the transport needs it, made once per distinct URL."""

    origin: Origin  # (https, host as resolved and verified, port)
    request_line: bytes  # "POST <path> HTTP/1.1" and the host header

    @property
    def secure(self) -> bool:
        return self.origin[0]


@functools.lru_cache(maxsize=4096)
def target(url: str) -> Target:
    """``url`` parsed by httpx: the IDNA, percent-encoding and default ports it was validated with."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"{parsed.scheme!r} is not http or https")
    secure = parsed.scheme == "https"
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if secure else 80)
    line = b"POST " + parsed.raw_path + b" HTTP/1.1\r\nhost: " + parsed.netloc + b"\r\n"
    return Target((secure, host, port), line)


@dataclass(frozen=True)
class Response:
    """A status, the headers (lower-case names; repeats joined by commas) and at most ``cap`` body bytes."""

    status_code: int
    headers: dict[str, str]
    body: bytes


class _Stale(Exception):
    """The connection ended before any byte of a response: the server cannot have acted on the request."""


def _request_bytes(t: Target, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"{name}: {value}\r\n" for name, value in headers.items()]
    lines.append(f"content-length: {len(body)}\r\n\r\n")
    text = "".join(lines)
    if text.count("\n") != len(lines) + 1 or text.count("\r") != len(lines) + 1 or "\0" in text:
        raise httpx.LocalProtocolError("a request header contains a line break or NUL")
    return t.request_line + text.encode("ascii") + body


def _parse_head(head: bytes) -> tuple[bytes, int, dict[str, str]]:
    """(version, status, headers) of a response head without its final blank line."""
    status_line, *lines = head.split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code = rest[:3]
    if (
        not version.startswith(b"HTTP/1.")
        or len(code) != 3
        or not code.isdigit()
        or rest[3:4] not in (b"", b" ")  # "HTTP/1.1 2000" is not a 200
    ):
        raise httpx.RemoteProtocolError(f"malformed status line {status_line[:100]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise httpx.RemoteProtocolError(f"malformed header line {line[:100]!r}")
        key, text = name.decode("latin-1").lower(), value.strip().decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return version, int(code), headers


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection; bytes arrive in a buffer that the response parser consumes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def reusable(self, now: float, idle_seconds: float) -> bool:
        """Open, silent since the last response (no early EOF, no stray bytes) and not idle too long."""
        return (
            not self.eof
            and not self.buffer
            and self.transport is not None
            and not self.transport.is_closing()
            and now - self.idle_since < idle_seconds
        )

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def send(self, data: bytes) -> None:
        if self.eof or self.transport is None or self.transport.is_closing():
            raise _Stale()
        self.transport.write(data)

    async def _more(self, started: bool) -> None:
        """Wait for more bytes; a connection that ends first is stale when no response byte came yet."""
        if self.eof:
            if not started:
                raise _Stale() from self.error
            raise httpx.RemoteProtocolError("the server closed the connection mid-response") from self.error
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _take(self, n: int) -> bytes:
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    async def _line(self, end: bytes, limit: int) -> bytes:
        """Bytes up to ``end`` (consumed, not returned)."""
        while (at := self.buffer.find(end)) < 0:
            if len(self.buffer) > limit:
                raise httpx.RemoteProtocolError("response line or head too long")
            await self._more(True)
        line = self._take(at)
        del self.buffer[: len(end)]
        return line

    async def read_response(self, cap: int) -> tuple[Response, bool]:
        """The response (1xx skipped) and whether the connection may carry another request."""
        while not self.buffer:
            await self._more(False)
        while True:
            version, code, headers = _parse_head(await self._line(b"\r\n\r\n", HEAD_LIMIT))
            if not 100 <= code < 200 or code == 101:
                break
        keep = version == b"HTTP/1.1" and "close" not in headers.get("connection", "").lower()
        if code in NO_BODY or code == 101:
            return Response(code, headers, b""), keep and code != 101
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, complete = await self._chunked(cap)
        elif "content-length" in headers:
            body, complete = await self._sized(headers["content-length"], cap)
        else:
            body, complete = await self._until_close(cap)
        return Response(code, headers, body), keep and complete

    async def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            await self._more(True)
        return self._take(n)

    async def _sized(self, value: str, cap: int) -> tuple[bytes, bool]:
        lengths = {v.strip() for v in value.split(",")}
        if len(lengths) != 1 or not ((length := lengths.pop()).isascii() and length.isdigit()):
            raise httpx.RemoteProtocolError(f"invalid content-length {value[:100]!r}")
        if int(length) > cap:  # only the cap is read; the rest would be waited for in vain: close
            return await self._exactly(cap), False
        return await self._exactly(int(length)), True

    async def _chunked(self, cap: int) -> tuple[bytes, bool]:
        body = bytearray()
        while True:
            size_text = (await self._line(b"\r\n", 1024)).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpx.RemoteProtocolError(f"invalid chunk size {size_text[:20]!r}") from None
            if size == 0:
                while await self._line(b"\r\n", HEAD_LIMIT):  # trailers, up to the blank line
                    pass
                return bytes(body), True
            if len(body) + size > cap:
                body += await self._exactly(cap - len(body))
                return bytes(body), False
            body += await self._exactly(size)
            if await self._exactly(2) != b"\r\n":
                raise httpx.RemoteProtocolError("a chunk does not end with CRLF")

    async def _until_close(self, cap: int) -> tuple[bytes, bool]:
        while len(self.buffer) < cap and not self.eof:
            await self._more(True)
        return self._take(cap), False


class WebhookClient:
    """POSTs through a pool of idle keep-alive connections per origin (at most ``max_idle`` each and
    ``max_idle_total`` in all, so callbacks to many hosts cannot hold file descriptors without bound; closed
    after ``idle_seconds``). A new connection resolves the host itself and connects only to an address
    ``policy`` allows, verifying TLS against the URL's host. Redirects are answers like any other, never
    followed."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver,
        *,
        max_idle: int = 50,
        max_idle_total: int = 256,
        idle_seconds: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.max_idle = max_idle
        self.max_idle_total = max(max_idle, max_idle_total)
        self.idle_seconds = idle_seconds
        self._idle_total = 0
        self.ssl_context = ssl_context or httpx.create_ssl_context()
        self._idle: dict[Origin, deque[Connection]] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._closed = False

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, cap: int) -> Response:
        """POST ``body`` with ``headers`` (and host and content-length) and read at most ``cap`` body bytes.
        A pooled connection that turns out closed before any response byte is replaced by a new one, once."""
        t = target(url)
        data = _request_bytes(t, headers, body)
        conn = self._pooled(t.origin)
        if conn is not None:
            try:
                return await self._exchange(conn, t.origin, data, cap)
            except _Stale:
                pass
        try:
            return await self._exchange(await self._open(t), t.origin, data, cap)
        except _Stale as exc:
            raise httpx.RemoteProtocolError("the server closed the connection without a response") from exc

    async def _exchange(self, conn: Connection, origin: Origin, data: bytes, cap: int) -> Response:
        try:
            conn.send(data)
            response, keep = await conn.read_response(cap)
        except BaseException:  # cancelled or failed mid-exchange: the connection's state is unknown
            conn.close()
            raise
        if keep:
            self._release(origin, conn)
        else:
            conn.close()
        return response

    def _pooled(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used: the others may then expire
            self._idle_total -= 1
            if conn.reusable(now, self.idle_seconds):
                return conn
            conn.close()
        return None

    async def _open(self, t: Target) -> Connection:
        secure, host, port = t.origin
        address = await allowed_address(self.policy, self.resolver, host, port)
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(
                Connection,
                address,
                port,
                ssl=self.ssl_context if secure else None,
                server_hostname=host if secure else None,
            )
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"{host}:{port}: {exc}") from exc
        return conn

    def _release(self, origin: Origin, conn: Connection) -> None:
        idle = self._idle.setdefault(origin, deque())
        if self._closed or len(idle) >= self.max_idle or self._idle_total >= self.max_idle_total:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        idle.append(conn)
        self._idle_total += 1
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().call_later(self.idle_seconds, self._reap)

    def _reap(self) -> None:
        """Close the connections idle for ``idle_seconds``; come back while any are left."""
        self._reaper = None
        now = time.monotonic()
        oldest = now
        for origin, idle in list(self._idle.items()):
            while idle and now - idle[0].idle_since >= self.idle_seconds:
                idle.popleft().close()
                self._idle_total -= 1
            if idle:
                oldest = min(oldest, idle[0].idle_since)
            else:
                del self._idle[origin]
        if self._idle:
            delay = max(0.5, oldest + self.idle_seconds - now)
            self._reaper = asyncio.get_running_loop().call_later(delay, self._reap)

    def idle_connections(self) -> int:
        return sum(len(idle) for idle in self._idle.values())

    async def aclose(self) -> None:
        """Close every idle connection; those in use close when their exchange ends."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        self._idle.clear()
        self._idle_total = 0
