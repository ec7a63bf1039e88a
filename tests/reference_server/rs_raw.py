"""A raw-socket SSE reader with a tiny receive buffer: a client that reads slowly or not at
all, so the server's writer meets TCP flow control (the slow-consumer scenarios)."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any
from urllib.parse import urlsplit

from rs_wire import DEADLINE


class RawStream:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

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

    async def read_all(self, timeout: float = DEADLINE) -> tuple[list[dict[str, Any]], str]:  # noqa: ASYNC109 (a per-call deadline)
        """Read to the end (server closes): (event payloads, raw body text)."""
        async with asyncio.timeout(timeout):
            raw = await self.reader.read(-1)
        self.writer.close()
        head, _, rest = raw.partition(b"\r\n\r\n")
        body = _dechunk(rest) if b"chunked" in head.lower() else rest
        text = body.decode()
        events = []
        for block in text.split("\n\n"):
            data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
            if data:
                events.append(json.loads("\n".join(data)))
        return events, text

    def close(self) -> None:
        self.writer.close()


def _dechunk(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        end = data.index(b"\r\n", i)
        size = int(data[i:end].split(b";")[0], 16)
        if size == 0:
            break
        out += data[end + 2 : end + 2 + size]
        i = end + 2 + size + 2
    return bytes(out)
