"""A real HTTP/1.1 receiver on loopback that records callbacks and answers as scripted."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    drip_seconds: float = 0.0  # pause before each byte of the body: a slow, never-silent receiver


class Receiver:
    """Counts connections too, so a test can show that a blocked address was never reached."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.requests: list[Received] = []
        self.connections = 0
        self.script: list[Reply] = []
        self._server: asyncio.base_events.Server | None = None
        self._arrived = asyncio.Condition()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> Receiver:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def reply_with(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, then 200."""
        self.script.extend(replies)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.requests) >= count), timeout)
        return self.requests

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                reply = self.script.pop(0) if self.script else Reply()
                out = [f"HTTP/1.1 {reply.status} X", f"content-length: {len(reply.body)}"]
                out += [f"{k}: {v}" for k, v in reply.headers.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode())
                if reply.drip_seconds:
                    for i in range(len(reply.body)):
                        await asyncio.sleep(reply.drip_seconds)
                        writer.write(reply.body[i : i + 1])
                        await writer.drain()
                else:
                    writer.write(reply.body)
                await writer.drain()
                async with self._arrived:
                    self.requests.append(Received(method, path, headers, body))
                    self._arrived.notify_all()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
