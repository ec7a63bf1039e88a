"""Benchmark the reference server against a peer (the a2a-sdk adapter) in the same run.

    python benchmarks/bench_reference_server.py [--peer-cmd "..."] [--burst 20000] [--repeat 3]

Figures per server (both run as subprocesses, spoken to on loopback): events/s through one
v1.0 JSON-RPC stream (a burst), wall time for N concurrent short streams, and peak RSS of the
server process while one client reads a 2,000 x 4 KiB burst slowly (from /proc/PID/status
VmRSS samples and VmHWM). Then, per dialect, what writing a burst costs the server: a second
server whose per-stream buffer holds the whole burst (``{buffer}`` in the command; no reader is
cut off) streams ``--burst`` chunks to a raw httpx reader, and the server's CPU time over the
stream (all its threads, /proc/PID/task/*/schedstat, ns) divided by the events is its CPU per
event, medians of ``--repeat``. CPU time rather than events/s, because this 2-core machine is
shared: the wall rate measures whoever else runs, the CPU per event what the server costs.
Numbers, not assertions: nothing here can fail a build; the project's tests check behaviour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import select
import shlex
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_CMD = f"{sys.executable} -m reference_server --port {{port}} --buffer {{buffer}}"
PEER_CMD = f"{sys.executable} -m pytest_a2a.adapters.a2a_sdk --port {{port}}"
HEADERS = {"A2A-Version": "1.0"}
DIALECTS = ("v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest")
DEFAULT_BUFFER = 1024  # the reference server's own default (a slow reader is cut off past it)


def script(*steps: dict[str, Any]) -> str:
    return "a2a-conformance/1\n" + json.dumps({"steps": list(steps)})


def request(text: str, rpc_id: int = 1) -> dict[str, Any]:
    msg = {
        "messageId": f"bench-{rpc_id}-{time.monotonic_ns()}",
        "role": "ROLE_USER",
        "parts": [{"text": text}],
    }
    return {
        "jsonrpc": "2.0",
        "id": rpc_id,
        "method": "SendStreamingMessage",
        "params": {"message": msg},
    }


def dialect_request(dialect: str, text: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(path, headers, body) of a streaming request carrying ``text`` in ``dialect``."""
    message_id = f"bench-{time.monotonic_ns()}"
    if dialect == "v0.3-jsonrpc":
        msg: dict[str, Any] = {"kind": "message", "messageId": message_id, "role": "user",
                               "parts": [{"kind": "text", "text": text}]}
        return "/", {}, {"jsonrpc": "2.0", "id": 1, "method": "message/stream",
                         "params": {"message": msg}}
    msg = {"messageId": message_id, "role": "ROLE_USER", "parts": [{"text": text}]}
    if dialect == "v1.0-jsonrpc":
        return "/", HEADERS, {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage",
                              "params": {"message": msg}}
    return "/message:stream", HEADERS, {"message": msg}


def cpu_seconds(pid: int) -> float:
    """CPU time of process ``pid`` so far, all threads (schedstat: ns, not 10 ms ticks)."""
    tasks = Path(f"/proc/{pid}/task")
    return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks.iterdir()) / 1e9


@dataclass
class Server:
    proc: subprocess.Popen[str]
    url: str

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the server process in KiB."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        values = {
            k: int(v.split()[0]) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(.+)$", status, re.M)
        }
        return values.get("VmRSS", 0), values.get("VmHWM", 0)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def launch(cmd: str, timeout: float = 30.0, buffer: int = DEFAULT_BUFFER) -> Server:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        shlex.split(cmd.replace("{port}", "0").replace("{buffer}", str(buffer))),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return Server(proc, match.group(1).rstrip("/"))
    proc.kill()
    _, err = proc.communicate(timeout=5)
    raise RuntimeError(f"{cmd!r} did not announce 'listening on URL': {err.strip()[-500:]}")


async def burst_rate(url: str, count: int) -> tuple[float, int]:
    """(events/s, events received) for one stream of ``count`` 16-byte chunks."""
    body = request(script({"burst": {"id": "b", "count": count, "bytes": 16}}))
    async with httpx.AsyncClient(timeout=120) as client:
        t0 = time.perf_counter()
        events, tail = 0, b""
        async with client.stream("POST", url + "/", json=body, headers=HEADERS) as r:
            async for chunk in r.aiter_bytes():
                data = tail + chunk
                events += data.count(b"data: ")
                tail = data[-5:]
                events -= tail.count(b"data: ")
            events += tail.count(b"data: ")
        elapsed = time.perf_counter() - t0
    return events / elapsed, events


async def burst_cost(server: Server, dialect: str, count: int) -> tuple[float, float, int]:
    """(events/s, server µs CPU per event, events) of one ``count``-chunk burst in ``dialect``
    read by raw httpx (counting ``data:`` lines): the working status, the chunks, completed."""
    text = script(
        {"status": "working"},
        {"burst": {"id": "b", "count": count, "bytes": 16}},
        {"status": "completed"},
    )
    path, headers, body = dialect_request(dialect, text)
    async with httpx.AsyncClient(timeout=120) as client:
        events, tail = 0, b"\n"  # an event starts at a line start: the body's is one too
        cpu0, t0 = cpu_seconds(server.proc.pid), time.perf_counter()
        async with client.stream("POST", server.url + path, json=body, headers=headers) as r:
            async for chunk in r.aiter_bytes():
                data = tail + chunk
                events += data.count(b"\ndata: ")
                tail = data[-6:]  # shorter than the pattern: nothing is counted twice
        seconds = time.perf_counter() - t0
        cpu = cpu_seconds(server.proc.pid) - cpu0
    return events / seconds, cpu / max(events, 1) * 1e6, events


async def dialect_costs(cmd: str, args: argparse.Namespace) -> dict[str, Any]:
    """Per dialect: medians of ``--repeat`` bursts (events/s, server µs CPU/event), or why not."""
    server = launch(cmd, buffer=args.burst + 100)
    out: dict[str, Any] = {}
    try:
        for dialect in DIALECTS:
            try:
                await burst_cost(server, dialect, 200)  # warm-up: imports, first-use caches
                runs = [await burst_cost(server, dialect, args.burst) for _ in range(args.repeat)]
            except Exception as exc:  # a peer may not speak every dialect: say so, go on
                out[dialect] = f"n/a ({type(exc).__name__}: {exc})"[:120]
                continue
            out[dialect] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                [r[1] for r in runs],
                min(r[2] for r in runs),
            )
    finally:
        server.stop()
    return out


async def concurrent_streams(url: str, n: int) -> tuple[float, int]:
    """(seconds for ``n`` concurrent short streams to complete, how many saw completed)."""
    text = script(
        {"status": "working"},
        {"artifact": {"id": "a", "text": "x", "last": True}},
        {"status": "completed"},
    )
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(i: int) -> bool:
            async with client.stream(
                "POST", url + "/", json=request(text, i), headers=HEADERS
            ) as r:
                body = await r.aread()
            return b"TASK_STATE_COMPLETED" in body

        t0 = time.perf_counter()
        ok = await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t0, sum(ok)


async def slow_reader_rss(server: Server, count: int, size: int) -> dict[str, Any]:
    """Peak server RSS while a client with a tiny receive buffer reads a burst slowly."""
    body = json.dumps(
        request(script({"burst": {"id": "s", "count": count, "bytes": size}}))
    ).encode()
    host, port = server.url.split("//")[1].rsplit(":", 1)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect((host, int(port)))
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"A2A-Version: 1.0\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    base_rss, _ = server.rss_kib()
    sock.sendall(head.encode() + body)
    peak, received, t0 = base_rss, 0, time.perf_counter()
    while True:
        chunk = sock.recv(16384)
        if not chunk:
            break
        received += len(chunk)
        peak = max(peak, server.rss_kib()[0])
        await asyncio.sleep(0.005)  # the slow reader: ~16 KiB per 5 ms at most
    sock.close()
    _, hwm = server.rss_kib()
    return {
        "baseline_rss_mib": base_rss / 1024,
        "peak_rss_mib": peak / 1024,
        "vmhwm_mib": hwm / 1024,
        "received_mib": received / 2**20,
        "burst_mib": count * size / 2**20,
        "seconds": time.perf_counter() - t0,
    }


async def measure(cmd: str, args: argparse.Namespace) -> dict[str, Any]:
    server = launch(cmd)
    try:
        await burst_rate(server.url, 200)  # warm-up
        rate, got = await burst_rate(server.url, args.burst)
        seconds, ok = await concurrent_streams(server.url, args.streams)
        memory = await slow_reader_rss(server, args.slow_count, args.slow_bytes)
    finally:
        server.stop()
    return {
        "events_per_s": rate,
        "burst_events": got,
        "concurrent_s": seconds,
        "concurrent_ok": ok,
        **memory,
        "dialects": await dialect_costs(cmd, args),
    }


def report(name: str, r: dict[str, Any], args: argparse.Namespace) -> None:
    expected = args.burst + 2  # Task, the chunks, completed
    print(f"{name}:")
    print(
        f"  burst {args.burst} chunks, one stream: {r['events_per_s']:,.0f} events/s"
        f" ({r['burst_events']} events received, expected {expected})"
    )
    print(
        f"  {args.streams} concurrent streams: {r['concurrent_s']:.2f} s"
        f" ({r['concurrent_ok']} completed)"
    )
    print(
        f"  slow reader, {args.slow_count} x {args.slow_bytes} B:"
        f" RSS {r['baseline_rss_mib']:.1f} -> peak {r['peak_rss_mib']:.1f} MiB"
        f" (VmHWM {r['vmhwm_mib']:.1f}); read {r['received_mib']:.1f}"
        f" of {r['burst_mib']:.1f} MiB in {r['seconds']:.1f} s"
    )
    print(
        f"  burst {args.burst} chunks per dialect, buffer holding it, raw reader"
        f" (medians of {args.repeat}; expected {args.burst + 3} events):"
    )
    for dialect, cost in r["dialects"].items():
        if isinstance(cost, str):
            print(f"    {dialect:<13} {cost}")
            continue
        rate, us, each, events = cost
        print(
            f"    {dialect:<13} {rate:>9,.0f} events/s; server {us:.2f} us CPU/event"
            f" ({', '.join(f'{u:.2f}' for u in each)}); {events} events"
        )


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--server-cmd",
        default=REFERENCE_CMD,
        help="the server under test ({port} = port, {buffer} = events buffered per stream)",
    )
    p.add_argument("--peer-cmd", default=PEER_CMD, help="the peer to compare with ('' = none)")
    p.add_argument("--burst", type=int, default=20000)
    p.add_argument("--repeat", type=int, default=3, help="bursts per dialect (median)")
    p.add_argument("--streams", type=int, default=200)
    p.add_argument("--slow-count", type=int, default=2000)
    p.add_argument("--slow-bytes", type=int, default=4096)
    args = p.parse_args()

    ours = asyncio.run(measure(args.server_cmd, args))
    report("reference server", ours, args)
    if not args.peer_cmd:
        return 0
    try:
        peer = asyncio.run(measure(args.peer_cmd, args))
    except Exception as exc:  # the peer may not exist yet: say so, do not fail
        print(f"peer skipped ({args.peer_cmd!r}): {exc}")
        return 0
    report("peer", peer, args)
    print("ratios (reference / peer):")
    print(f"  events/s: {ours['events_per_s'] / peer['events_per_s']:.2f}x")
    print(
        f"  concurrent streams time: {ours['concurrent_s'] / peer['concurrent_s']:.2f}x"
        " (lower is faster)"
    )
    print(f"  peak RSS: {ours['peak_rss_mib'] / max(peer['peak_rss_mib'], 0.1):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
