"""Benchmark the reference server against a peer (the a2a-sdk adapter) in the same run.

    python benchmarks/bench_reference_server.py [--peer-cmd "..."] [--burst 20000]

Figures per server (both run as subprocesses, spoken to over v1.0 JSON-RPC on loopback):
events/s through one stream (a burst), wall time for N concurrent short streams, and peak
RSS of the server process while one client reads a 2,000 x 4 KiB burst slowly (from
/proc/PID/status VmRSS samples and VmHWM). Numbers, not assertions: nothing here can fail a
build; the project's tests check behaviour.
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
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_CMD = f"{sys.executable} -m reference_server --port {{port}}"
PEER_CMD = f"{sys.executable} -m pytest_a2a.adapters.a2a_sdk --port {{port}}"
HEADERS = {"A2A-Version": "1.0"}


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


def launch(cmd: str, timeout: float = 30.0) -> Server:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        shlex.split(cmd.replace("{port}", "0")),
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
        return {
            "events_per_s": rate,
            "burst_events": got,
            "concurrent_s": seconds,
            "concurrent_ok": ok,
            **memory,
        }
    finally:
        server.stop()


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


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--server-cmd", default=REFERENCE_CMD, help="the server under test ({port} = port)"
    )
    p.add_argument("--peer-cmd", default=PEER_CMD, help="the peer to compare with ('' = none)")
    p.add_argument("--burst", type=int, default=20000)
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
