"""A raw-socket SSE reader with a tiny receive buffer: a client that reads slowly or not at
all, so the server's writer meets TCP flow control (the slow-consumer scenarios)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from rs_wire import DEADLINE


class RawStream:
    """Reads nothing until asked; then decodes the response (chunked or not) incrementally."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.events: list[dict[str, Any]] = []  # event payloads decoded so far, in order
        self._text: list[str] = []  # body text decoded so far
        self._wire = bytearray()  # received, not yet de-chunked
        self._body = bytearray()  # de-chunked, not yet a complete event
        self._chunked: bool | None = None  # None until the head is in
        self.eof = False

    @classmethod
    async def open(
        cls, base: str, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> RawStream:
        parts = urlsplit(base)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(DEADLINE):
            await loop.sock_connect(sock, (parts.hostname, parts.port))
            reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        data = json.dumps(body).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
            "Connection: close",
        ]
        head += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        await writer.drain()
        return cls(reader, writer)

    async def read_until(
        self,
        found: Callable[[dict[str, Any]], bool],
        timeout: float = DEADLINE,  # noqa: ASYNC109 (a per-call deadline)
    ) -> bool:
        """Read until an event satisfying ``found`` is decoded (True) or the server closes
        without one (False). Everything decoded is kept in ``events``."""
        checked = 0
        async with asyncio.timeout(timeout):
            while True:
                if any(found(ev) for ev in self.events[checked:]):
                    return True
                checked = len(self.events)
                if self.eof:
                    return False
                await self._fill()

    async def read_all(self, timeout: float = DEADLINE) -> tuple[list[dict[str, Any]], str]:  # noqa: ASYNC109 (a per-call deadline)
        """Read to the end (server closes): (all event payloads, raw body text)."""
        async with asyncio.timeout(timeout):
            while not self.eof:
                await self._fill()
        self.writer.close()
        return self.events, "".join(self._text)

    def close(self) -> None:
        self.writer.close()

    async def _fill(self) -> None:
        data = await self.reader.read(1 << 16)
        if not data:
            self.eof = True
            self._decode(final=True)
            return
        self._wire += data
        self._decode()

    def _decode(self, *, final: bool = False) -> None:
        if self._chunked is None:
            head, sep, rest = bytes(self._wire).partition(b"\r\n\r\n")
            if not sep:
                return
            self._chunked = b"chunked" in head.lower()
            self._wire = bytearray(rest)
        if self._chunked:
            while (end := self._wire.find(b"\r\n")) >= 0:
                size = int(bytes(self._wire[:end]).split(b";")[0], 16)
                if size == 0:
                    self._wire.clear()
                    break
                if len(self._wire) < end + 2 + size + 2:
                    break
                self._body += self._wire[end + 2 : end + 2 + size]
                del self._wire[: end + 2 + size + 2]
        else:
            self._body += self._wire
            self._wire.clear()
        end = self._body.rfind(b"\n\n")
        cut = len(self._body) if final else end + 2 if end >= 0 else 0
        if cut == 0:
            return
        text = self._body[:cut].decode()
        del self._body[:cut]
        self._text.append(text)
        for block in text.split("\n\n"):
            data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
            if data:
                self.events.append(json.loads("\n".join(data)))
