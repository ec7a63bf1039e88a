"""Run the server: in-process (uvicorn in a daemon thread, own loop) or in the foreground.

The listening socket is bound before uvicorn starts, so the port is known at once (port 0 =
a free one) and ``start`` returns only once uvicorn accepts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import uvicorn

from reference_server.app import ReferenceApp
from reference_server.options import DEFAULT_BUFFER, Options, make_options

START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class _Server(uvicorn.Server):
    """uvicorn that ends every open stream first, so shutdown never waits on a reader."""

    def __init__(self, config: uvicorn.Config, app: ReferenceApp) -> None:
        super().__init__(config)
        self.reference_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.reference_app.shutdown()
        await super().shutdown(sockets)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on accepted sockets
    # whose proto says TCP; with proto 0 every keep-alive answer waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def make_server(app: ReferenceApp) -> _Server:
    config = uvicorn.Config(
        app,
        http="h11",
        loop="asyncio",
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
    )
    return _Server(config, app)  # uvicorn captures signals only in the main thread


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RunningServer:
    """A reference server running in a background thread; ``stop()`` is idempotent."""

    def __init__(self, options: Options, host: str, port: int) -> None:
        self.options = options
        self.app = ReferenceApp(options)
        self._sock = bind(host, port)
        self.url = url_of(self._sock)
        self.port = self._sock.getsockname()[1]
        self._server = make_server(self.app)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"reference-server {self.url}", daemon=True
        )
        self._stopped = False

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # reported by start()/stop()
            self._error = exc
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._sock.close()

    def _start(self) -> None:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(START_TIMEOUT / 0.005)):
            if self._server.started or not self._thread.is_alive():
                break
            deadline.wait(0.005)
        if not self._server.started:
            self.stop()
            raise RuntimeError(f"reference server did not start: {self._error!r}")

    def stop(self) -> None:
        """End every stream and agent, stop uvicorn; bounded (never hangs)."""
        if self._stopped:
            return
        self._stopped = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.app.shutdown)
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer({self.url!r})"


def start(
    host: str = "127.0.0.1",
    port: int = 0,
    faults: Iterable[str] = (),
    variants: Iterable[str] = (),
    buffer: int = DEFAULT_BUFFER,
) -> RunningServer:
    """Start a reference server in this process; returns once it accepts connections.

    Unknown fault or variant names raise ValueError listing the valid ones."""
    server = RunningServer(make_options(faults, variants, buffer), host, port)
    server._start()
    return server


def serve_forever(options: Options, host: str, port: int, announce: Any) -> None:
    """Foreground (CLI): calls ``announce(url)`` once accepting; returns on SIGINT/SIGTERM."""
    sock = bind(host, port)
    app = ReferenceApp(options)
    server = make_server(app)

    async def main() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn: a flag)
            await asyncio.sleep(0.005)
        if server.started:
            announce(url_of(sock))
        await serving

    asyncio.run(main())
