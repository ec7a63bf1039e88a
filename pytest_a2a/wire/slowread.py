"""A deliberately slow stream reader, for backpressure scenarios (slow consumers, bug #21).

httpx reads as fast as the server writes, so it cannot be a slow consumer. This reader owns a raw
socket whose receive buffer is shrunk (``SO_RCVBUF``, set *before* connect so the TCP window is
small from the handshake on), speaks HTTP/1.1 itself (incl. chunked transfer decoding), and reads
``read_bytes`` every ``pause`` seconds, so the server's writes really block.
:meth:`SlowStream.pace` speeds it up (or slows it down) mid-stream. The consumer side --
``next_event``, ``collect`` and the :class:`~pytest_a2a.wire.results.StreamResult` -- is the same
as for every other stream (:class:`~pytest_a2a.wire.stream.EventStream`).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Mapping
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from pytest_a2a.budget import Budget
from pytest_a2a.wire.dialects import Dialect, get_dialect
from pytest_a2a.wire.media import is_json_type
from pytest_a2a.wire.sse import DEFAULT_MAX_EVENT_BYTES
from pytest_a2a.wire.stream import MAX_ERROR_BODY, EventStream

MAX_HEAD = 64 * 1024


class ChunkedDecoder:
    """Incremental HTTP/1.1 chunked transfer decoding (sizes, data, CRLFs, trailers)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._left = 0
        self._state = "size"  # size | data | crlf | trailer | done

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes) -> bytes:
        buf = self._buf
        buf += data
        out = bytearray()
        while True:
            if self._state == "size":
                i = buf.find(b"\n")
                if i < 0:
                    if len(buf) > 1024:
                        raise ValueError("chunk size line too long")
                    break
                line = bytes(buf[:i]).rstrip(b"\r").split(b";", 1)[0].strip()
                del buf[: i + 1]
                try:
                    size = int(line, 16)
                except ValueError:
                    raise ValueError(f"bad chunk size line {line[:40]!r}") from None
                self._left = size
                self._state = "data" if size else "trailer"
            elif self._state == "data":
                take = min(self._left, len(buf))
                if not take:
                    break
                out += buf[:take]
                del buf[:take]
                self._left -= take
                if not self._left:
                    self._state = "crlf"
            elif self._state == "crlf":
                i = buf.find(b"\n")
                if i < 0:
                    break
                if bytes(buf[:i]).strip(b"\r"):
                    raise ValueError("missing CRLF after chunk data")
                del buf[: i + 1]
                self._state = "size"
            elif self._state == "trailer":
                i = buf.find(b"\n")
                if i < 0:
                    break
                line = bytes(buf[:i]).rstrip(b"\r")
                del buf[: i + 1]
                if not line:
                    self._state = "done"
            else:
                break
        return bytes(out)


class SlowStream(EventStream):
    """One streaming request read slowly over a raw socket (an async context manager)."""

    def __init__(
        self,
        url: str,
        path: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        dialect: str | Dialect,
        budget: Budget | None = None,
        rcvbuf: int = 8192,
        read_bytes: int = 1024,
        pause: float = 0.05,
        method: str = "POST",
        request_id: str | None = None,
        deadline: float | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        super().__init__(get_dialect(dialect), budget or Budget(), request_id=request_id,
                         deadline=deadline, max_event_bytes=max_event_bytes)
        self.url = url
        self.path = path
        self.body = body
        self.request_headers = dict(headers or {})
        self.method = method
        self.rcvbuf = rcvbuf
        self.rcvbuf_effective: int | None = None
        self.read_bytes = read_bytes
        self.pause = pause
        self._writer: asyncio.StreamWriter | None = None

    def pace(self, read_bytes: int | None = None, pause: float | None = None) -> None:
        """Change the reading pace from now on (e.g. ``pace(65536, 0)`` to catch up)."""
        if read_bytes is not None:
            self.read_bytes = max(1, read_bytes)
        if pause is not None:
            self.pause = max(0.0, pause)

    def speed_up(self) -> None:
        """Read as fast as possible from now on."""
        self.pace(256 * 1024, 0.0)

    async def __aenter__(self) -> SlowStream:
        await self.open()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def _target(self) -> tuple[str, int, bool, str]:
        parts = urlsplit(self.url)
        tls = parts.scheme == "https"
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if tls else 80)
        base = parts.path.rstrip("/")
        path = self.path if self.path.startswith("/") else "/" + self.path
        full = (base + path) if self.path else (parts.path or "/")
        if parts.query:
            full += "?" + parts.query
        return host, port, tls, full

    async def open(self) -> None:
        host, port, tls, path = self._target()
        self._t0 = time.monotonic()
        self.transcript.request(self.method, f"{self.url.rstrip('/')}{path if self.path else ''}",
                                f"slow read: rcvbuf={self.rcvbuf}, {self.read_bytes} B every "
                                f"{self.pause:g}s")
        limit = max(0.0, min(self.budget.idle, self._hard_deadline() - self.now()))
        try:
            async with asyncio.timeout(limit):
                reader, writer = await self._connect(host, port, tls)
                self._writer = writer
                writer.write(self._request_bytes(host, port, path))
                await writer.drain()
                head, rest = await self._read_head(reader)
                status, headers = _parse_head(head)
        except TimeoutError:
            self._finish("stalled", f"no response headers within {limit:.2f}s")
            return
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            self._finish("transport-error", f"{type(exc).__name__}: {exc}")
            return
        self._record_headers(status, headers.get("content-type"), headers)
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        decoder = ChunkedDecoder() if chunked else None
        remaining = int(length) if (length and length.isdigit() and not chunked) else None
        if not 200 <= status < 300 or is_json_type(self.content_type):
            await self._read_error_body(reader, rest, decoder, remaining)
            return
        self._reader = asyncio.create_task(self._read(reader, rest, decoder, remaining))

    async def _connect(
        self, host: str, port: int, tls: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, _, proto, _, addr = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            self.rcvbuf_effective = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            sock.setblocking(False)
            await loop.sock_connect(sock, addr)
        except BaseException:
            sock.close()
            raise
        # A small StreamReader limit makes asyncio pause the transport early, so unread bytes
        # pile up in the (small) kernel buffer and the TCP window closes on the server.
        return await asyncio.open_connection(
            sock=sock, limit=max(1024, min(self.read_bytes, 16384)),
            ssl=ssl.create_default_context() if tls else None,
            server_hostname=host if tls else None,
        )

    def _request_bytes(self, host: str, port: int, path: str) -> bytes:
        hdrs = {"Host": f"{host}:{port}", "Accept": "text/event-stream",
                "Content-Type": "application/json", **self.request_headers}
        if self.method != "GET" or self.body:
            hdrs["Content-Length"] = str(len(self.body))
        hdrs["Connection"] = "close"
        head = f"{self.method} {path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        return head.encode("latin-1") + (self.body if self.method != "GET" else b"")

    async def _read_head(self, reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
        buf = bytearray()
        while True:
            i = buf.find(b"\r\n\r\n")
            if i >= 0:
                return bytes(buf[:i]), bytes(buf[i + 4 :])
            if len(buf) > MAX_HEAD:
                raise ValueError(f"no end of HTTP headers within {MAX_HEAD} bytes")
            data = await reader.read(4096)
            if not data:
                raise ValueError(f"connection closed before HTTP headers ({bytes(buf[:80])!r})")
            buf += data

    def _body(
        self, data: bytes, decoder: ChunkedDecoder | None, remaining: list[int | None]
    ) -> bytes:
        if decoder is not None:
            return decoder.feed(data)
        left = remaining[0]
        if left is not None:
            data = data[:left]
            remaining[0] = left - len(data)
        return data

    def _body_done(self, decoder: ChunkedDecoder | None, remaining: list[int | None]) -> bool:
        return (decoder is not None and decoder.done) or remaining[0] == 0

    async def _read_error_body(
        self, reader: asyncio.StreamReader, rest: bytes, decoder: ChunkedDecoder | None,
        length: int | None,
    ) -> None:
        remaining: list[int | None] = [length]
        body = bytearray(self._body(rest, decoder, remaining))
        truncated = False
        limit = max(0.0, min(self.budget.call, self._hard_deadline() - self.now()))
        try:
            async with asyncio.timeout(limit):
                while not self._body_done(decoder, remaining) and len(body) <= MAX_ERROR_BODY:
                    data = await reader.read(65536)
                    if not data:
                        break
                    body += self._body(data, decoder, remaining)
        except TimeoutError:
            truncated = True
        except (OSError, ValueError) as exc:
            self.transcript.note(self.now(), f"error body: {type(exc).__name__}: {exc}")
        self._record_error_body(bytes(body), truncated or len(body) > MAX_ERROR_BODY)

    async def _read(
        self, reader: asyncio.StreamReader, rest: bytes, decoder: ChunkedDecoder | None,
        length: int | None,
    ) -> None:
        remaining: list[int | None] = [length]
        try:
            if rest:
                self._ingest(self._body(rest, decoder, remaining))
            while self.end is None and not self._body_done(decoder, remaining):
                data = await reader.read(self.read_bytes)
                if not data:
                    break
                body = self._body(data, decoder, remaining)
                if body:
                    self._ingest(body)
                if self.pause > 0:
                    await asyncio.sleep(self.pause)  # the pacing itself, not a wait for a result
            self._finish("closed")
        except (OSError, ValueError) as exc:
            self._finish("transport-error", f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        await self.close()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            try:
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()
            except (TimeoutError, OSError):
                pass


def _parse_head(head: bytes) -> tuple[int, httpx.Headers]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {lines[0][:80]!r}")
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            pairs.append((name.strip(), value.strip()))
    headers = httpx.Headers(pairs)
    return int(parts[1]), headers
