"""The delivery transport against real loopback servers that answer with scripted bytes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest

from app.deliveries import sender
from app.deliveries.transport import WebhookClient
from app.deliveries.urlguard import AddressPolicy, BlockedDestination, system_resolver

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request's head and body; raises IncompleteReadError at EOF."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


class Server:
    """A loopback server running ``handler(reader, writer, connection_number)`` on each connection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def start(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/hook"
        return self

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer, self.connections)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def answering(self, *replies: bytes) -> Handler:
        """A handler that answers each request on a connection with the next reply, then stops reading."""

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
            for reply in replies:
                self.requests.append(await read_request(reader))
                writer.write(reply)
                await writer.drain()

        return handler


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[Server]]]:
    servers: list[Server] = []

    async def start(handler: Handler) -> Server:
        servers.append(await Server(handler).start())
        return servers[-1]

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def client() -> AsyncIterator[WebhookClient]:
    c = WebhookClient(AddressPolicy(["127.0.0.0/8"]), system_resolver)
    yield c
    await c.aclose()


def keep_answering(server: Server, reply: bytes = OK) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
        while True:
            server.requests.append(await read_request(reader))
            writer.write(reply)
            await writer.drain()

    return handler


async def post(client: WebhookClient, server: Server, cap: int = 1024) -> tuple[int, bytes]:
    response = await client.post(server.url, {"content-type": "application/json"}, b'{"a": 1}', cap)
    return response.status_code, response.body


class TestKeepAlive:
    async def test_one_connection_carries_successive_requests(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(lambda r, w, n: keep_answering(server)(r, w, n))
        for _ in range(3):
            assert await post(client, server) == (200, b"ok")
        assert server.connections == 1
        assert len(server.requests) == 3
        head = server.requests[0].decode()
        assert head.startswith("POST /hook HTTP/1.1\r\n")
        assert f"host: {server.url.split('/')[2]}\r\n" in head
        assert "content-length: 8\r\n" in head and head.endswith('{"a": 1}')

    async def test_a_connection_the_server_closed_while_idle_is_not_reused(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(lambda r, w, n: server.answering(OK)(r, w, n))  # one answer, then close
        assert await post(client, server) == (200, b"ok")
        await asyncio.sleep(0.05)
        assert await post(client, server) == (200, b"ok")
        assert server.connections == 2

    async def test_a_request_the_server_dropped_unanswered_is_sent_again_on_a_new_connection(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.answering(OK)(reader, writer, n)
            if n == 1:  # the next request on the kept-alive connection is read, then dropped unanswered
                server.requests.append(await read_request(reader))

        server = await serve(handler)
        assert await post(client, server) == (200, b"ok")
        assert await post(client, server) == (200, b"ok")
        assert server.connections == 2
        assert len(server.requests) == 3

    async def test_a_new_connection_closed_without_an_answer_is_an_error_not_a_loop(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
            server.requests.append(await read_request(reader))

        server = await serve(handler)
        with pytest.raises(httpx.RemoteProtocolError):
            await post(client, server)
        assert server.connections == 1

    async def test_a_response_cut_short_is_an_error_and_not_sent_again(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(
            lambda r, w, n: server.answering(OK, b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nok")(r, w, n)
        )
        assert await post(client, server) == (200, b"ok")
        with pytest.raises(httpx.RemoteProtocolError):
            await post(client, server)
        assert len(server.requests) == 2

    async def test_connection_close_is_honoured(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        reply = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
        server = await serve(lambda r, w, n: keep_answering(server, reply)(r, w, n))
        assert await post(client, server) == (200, b"ok")
        assert client.idle_connections() == 0
        assert await post(client, server) == (200, b"ok")
        assert server.connections == 2

    async def test_idle_connections_are_closed_after_the_idle_time(
        self, serve: Callable[[Handler], Awaitable[Server]]
    ) -> None:
        client = WebhookClient(AddressPolicy(["127.0.0.0/8"]), system_resolver, idle_seconds=0.1)
        server = await serve(lambda r, w, n: keep_answering(server)(r, w, n))
        try:
            await post(client, server)
            assert client.idle_connections() == 1
            await asyncio.sleep(0.3)
            assert client.idle_connections() == 0
        finally:
            await client.aclose()

    async def test_closing_the_client_closes_its_idle_connections(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        closed = asyncio.Event()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.answering(OK)(reader, writer, n)
            assert await reader.read() == b""
            closed.set()

        server = await serve(handler)
        await post(client, server)
        await client.aclose()
        await asyncio.wait_for(closed.wait(), 2)


class TestResponses:
    async def test_a_chunked_response_is_read_and_the_connection_kept(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        chunked = (
            b"HTTP/1.1 202 Accepted\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n"
        )
        server = await serve(lambda r, w, n: server.answering(chunked, OK)(r, w, n))
        assert await post(client, server) == (202, b"hello world")
        assert await post(client, server) == (200, b"ok")
        assert server.connections == 1

    async def test_a_response_beyond_the_cap_is_cut_and_its_connection_closed(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        big = b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + b"x" * 100_000
        chunked = b"HTTP/1.1 200\r\ntransfer-encoding: chunked\r\n\r\n20\r\n" + 32 * b"y" + b"\r\n0\r\n\r\n"
        server = await serve(lambda r, w, n: server.answering(big if n == 1 else chunked)(r, w, n))
        assert await post(client, server, cap=10) == (200, b"x" * 10)
        assert client.idle_connections() == 0
        assert await post(client, server, cap=10) == (200, b"y" * 10)
        assert client.idle_connections() == 0

    async def test_a_body_without_a_length_is_read_to_the_close(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
            server.requests.append(await read_request(reader))
            writer.write(b"HTTP/1.1 500 Oops\r\nretry-after: 7\r\n\r\nbroken")

        server = await serve(handler)
        response = await client.post(server.url, {}, b"", 1024)
        assert (response.status_code, response.body) == (500, b"broken")
        assert response.headers["retry-after"] == "7"
        assert client.idle_connections() == 0

    async def test_informational_responses_are_skipped(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(lambda r, w, n: server.answering(b"HTTP/1.1 100 Continue\r\n\r\n" + OK)(r, w, n))
        assert await post(client, server) == (200, b"ok")

    async def test_a_malformed_status_line_is_a_protocol_error(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(lambda r, w, n: server.answering(b"SMTP ready\r\n\r\n")(r, w, n))
        with pytest.raises(httpx.RemoteProtocolError):
            await post(client, server)


async def send(client: WebhookClient, url: str, deadline: float = 5.0) -> sender.SendResult:
    return await sender.send(
        client,
        url=url,
        body="{}",
        event_id="evt_1",
        secrets_=["whsec_" + "A" * 43 + "="],
        extra_headers={"x-tenant": "7"},
        now=datetime.now(UTC),
        response_cap=1024,
        deadline=deadline,
    )


class TestSend:
    async def test_a_redirect_is_not_followed(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        moved = b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:9/steal\r\ncontent-length: 0\r\n\r\n"
        server = await serve(lambda r, w, n: server.answering(moved)(r, w, n))
        result = await send(client, server.url)
        assert not result.ok and result.status_code == 302
        assert result.error == "HTTP 302 redirect to http://127.0.0.1:9/steal not followed"
        assert len(server.requests) == 1 and server.connections == 1

    async def test_a_dripping_response_ends_at_the_deadline_and_its_connection_is_dropped(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _n: int) -> None:
            server.requests.append(await read_request(reader))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n")
            for _ in range(100):
                await asyncio.sleep(0.05)
                writer.write(b"z")
                await writer.drain()

        server = await serve(handler)
        result = await send(client, server.url, deadline=0.3)
        assert result.error == "timed out after 0.3 s"
        assert client.idle_connections() == 0

    async def test_the_headers_sent(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(lambda r, w, n: server.answering(OK)(r, w, n))
        assert (await send(client, server.url)).ok
        head = server.requests[0].decode().lower()
        expected = ("user-agent: rendezvous", "accept-encoding: identity", "x-tenant: 7", "webhook-id: evt_1")
        for line in expected:
            assert f"\r\n{line}" in head

    async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(
        self, serve: Callable[[Handler], Awaitable[Server]], client: WebhookClient
    ) -> None:
        server = await serve(lambda r, w, n: server.answering(OK)(r, w, n))
        with pytest.raises(httpx.LocalProtocolError):
            await client.post(server.url, {"x-evil": "1\r\nx-injected: 2"}, b"", 1024)
        assert server.connections == 0


class TestGuard:
    async def test_a_private_address_is_never_connected_when_not_allowed(
        self, serve: Callable[[Handler], Awaitable[Server]]
    ) -> None:
        server = await serve(lambda r, w, n: server.answering(OK)(r, w, n))
        client = WebhookClient(AddressPolicy(["10.0.0.0/8"]), system_resolver)
        try:
            with pytest.raises(BlockedDestination, match="loopback"):
                await post(client, server)
            result = await send(client, server.url)
        finally:
            await client.aclose()
        assert result.blocked and result.error is not None and result.error.startswith("blocked:")
        assert server.connections == 0


async def test_idle_connections_are_capped_in_all_not_only_per_origin() -> None:
    """Servers on many ports (origins): past max_idle_total, a connection done with is closed, not kept."""
    servers = []
    try:
        for _ in range(4):
            servers.append(await asyncio.start_server(_answer_ok, "127.0.0.1", 0))
        client = WebhookClient(AddressPolicy(["127.0.0.0/8"]), system_resolver, max_idle=1, max_idle_total=2)
        for server in servers:
            port = server.sockets[0].getsockname()[1]
            response = await client.post(f"http://127.0.0.1:{port}/", {}, b"{}", 100)
            assert response.status_code == 200
        assert client.idle_connections() == 2
        await client.aclose()
        assert client.idle_connections() == 0
    finally:
        for server in servers:
            server.close()


async def _answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
