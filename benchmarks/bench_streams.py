"""Many concurrent streams: the reference server beside the a2a-sdk adapter, same run.

    python benchmarks/bench_streams.py [--streams 500] [--events 50] [--server NAME=CMD]...

Each server (a subprocess, v1.0 JSON-RPC on loopback; default: the reference server and the
a2a-sdk adapter, one after the other) gets ``--streams`` streams opened at once, each an
``a2a-conformance/1`` script: working, a burst of ``--events`` 16-byte chunks, completed. A
light reader (httpx, no judging: the servers are measured, not the client) stamps each event
with the arrival time of the bytes that completed it, and prints per server:

- time to first event: request sent -> first complete SSE event, p50/p99 over streams;
- between events: arrival gaps between consecutive events of a stream, p50/p99 over all gaps
  (events that arrive in one read have a gap of 0: that is what a reader sees);
- wall seconds for all streams, the server's and the reader's CPU seconds over them (a
  server that needs the reader's core too shows here), the server's RSS after them;
- loss: every stream must start with the Task, carry every chunk once, in order, and end
  ``completed``; streams that do not are counted and the first problems shown (exit status 1).

``--server NAME=CMD`` replaces the default pair (repeatable): CMD must print ``listening on
URL`` for ``--port 0`` as the reference server does, e.g. another checkout's reference server:
``--server "before=sh -c 'cd /tmp/old && exec python -m reference_server --port 0'"``.

All servers run on this machine's cores, beside the reader: the figures compare the servers
with each other in one run, they are not absolute latencies. Numbers, never assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field

import httpx
from servers import A2A_SDK, REFERENCE, boot, rss_mib

from pytest_a2a import script

HEADERS = {"A2A-Version": "1.0", "Accept": "text/event-stream"}
END = re.compile(rb"\n\r?\n")  # the blank line that completes an SSE event (LF or CRLF)


@dataclass
class Stream:
    first: float | None = None  # seconds from request to first complete event
    gaps: list[float] = field(default_factory=list)
    problem: str = ""


def body(events: int) -> bytes:
    text = script.build([{"status": "working"},
                         {"burst": {"id": "c", "count": events, "bytes": 16}},
                         {"status": "completed"}])
    return json.dumps({
        "jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage",
        "params": {"message": {"messageId": uuid.uuid4().hex, "role": "ROLE_USER",
                               "parts": [{"text": text}]}},
    }).encode()


def check(raw: bytes, events: int) -> str:
    """Why this stream lost something ("" if every chunk came once, in order, then completed)."""
    chunks: list[int] = []
    state, kinds = None, 0
    for block in raw.replace(b"\r\n", b"\n").split(b"\n\n"):
        data = b"\n".join(line[5:].lstrip(b" ") for line in block.split(b"\n")
                          if line.startswith(b"data:"))
        if not data:
            continue
        try:
            result = json.loads(data).get("result") or {}
        except ValueError:
            return f"undecodable event {data[:80]!r}"
        kinds += 1
        if kinds == 1 and "task" not in result:
            return f"first event is not the Task: {sorted(result)}"
        if "artifactUpdate" in result:
            parts = result["artifactUpdate"].get("artifact", {}).get("parts") or [{}]
            head = str(parts[0].get("text", "")).split(" ", 1)[0]
            chunks.append(int(head) if head.isdigit() else -1)
        elif "statusUpdate" in result:
            state = result["statusUpdate"].get("status", {}).get("state")
    if chunks != list(range(events)):
        missing = sorted(set(range(events)) - set(chunks))
        return f"{len(chunks)}/{events} chunks, missing {missing[:5]}"
    return "" if state == "TASK_STATE_COMPLETED" else f"last state {state}"


async def one(http: httpx.AsyncClient, url: str, payload: bytes, events: int) -> Stream:
    out = Stream()
    received = bytearray()
    last: float | None = None
    pos = 0  # where the next event terminator may start
    t0 = time.perf_counter()
    try:
        async with http.stream("POST", url, content=payload, headers={
                **HEADERS, "Content-Type": "application/json"}) as resp:
            if resp.status_code != 200:
                out.problem = f"HTTP {resp.status_code}"
                return out
            async for chunk in resp.aiter_bytes():
                now = time.perf_counter()
                received += chunk
                done = 0
                for found in END.finditer(received, pos):
                    done, pos = done + 1, found.end()
                if done and last is None:
                    out.first, last = now - t0, now
                    done -= 1
                if done and last is not None:
                    out.gaps.append(now - last)
                    out.gaps.extend([0.0] * (done - 1))
                    last = now
    except httpx.HTTPError as exc:
        out.problem = f"{type(exc).__name__}: {exc}"
        return out
    out.problem = check(bytes(received), events)
    return out


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (/proc; 0 where unavailable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Cost:
    seconds: float  # wall, all streams
    server_cpu: float
    reader_cpu: float
    rss: float  # MiB, after the streams


async def measure(url: str, pid: int, streams: int, events: int,
                  stream_s: float) -> tuple[list[Stream], Cost]:
    """All streams at once, after one warm-up stream (imports, first-use caches)."""
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    async with httpx.AsyncClient(timeout=httpx.Timeout(stream_s), limits=limits) as http:
        await one(http, url, body(events), events)
        payloads = [body(events) for _ in range(streams)]
        t0, cpu0, own0 = time.perf_counter(), cpu_s(pid), time.process_time()
        runs = list(await asyncio.gather(*(one(http, url, p, events) for p in payloads)))
        cost = Cost(time.perf_counter() - t0, cpu_s(pid) - cpu0, time.process_time() - own0,
                    rss_mib(pid))
    return runs, cost


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, runs: list[Stream], cost: Cost) -> tuple[str, bool]:
    firsts = [r.first for r in runs if r.first is not None]
    gaps = [g for r in runs for g in r.gaps]
    lost = [r.problem for r in runs if r.problem]
    ms = 1000.0
    text = (f"{name:<18} {pct(firsts, .5) * ms:8.1f} {pct(firsts, .99) * ms:8.1f}   "
            f"{pct(gaps, .5) * ms:7.2f} {pct(gaps, .99) * ms:7.2f}   {cost.seconds:6.2f} "
            f"{cost.server_cpu:6.2f} {cost.reader_cpu:6.2f}  "
            f"{len(runs) - len(lost):>4}/{len(runs)}  {cost.rss:6.0f}")
    if lost:
        text += f"\n  LOSS in {len(lost)} streams, e.g. {lost[0]}"
    return text, bool(lost)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", type=int, default=500)
    p.add_argument("--events", type=int, default=50, help="burst chunks per stream")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per stream at most")
    p.add_argument("--server", action="append", default=[], metavar="NAME=CMD",
                   help="a server to measure instead of the default pair (repeatable)")
    args = p.parse_args()

    servers = {"reference server": REFERENCE, "a2a-sdk adapter": A2A_SDK}
    if args.server:
        servers = {}
        for spec in args.server:
            name, sep, command = spec.partition("=")
            if not sep or not command.strip():
                p.error(f"--server wants NAME=CMD, got {spec!r}")
            servers[name] = shlex.split(command)
    lines, failed = [], False
    for name, argv in servers.items():
        server = boot(argv, name)
        try:
            runs, cost = asyncio.run(
                measure(server.url + "/", server.pid, args.streams, args.events, args.timeout))
        finally:
            server.stop()
            server.remove_log()
        text, lost = row(name, runs, cost)
        lines.append(text)
        failed |= lost
        mean = statistics.fmean(len(r.gaps) + 1 for r in runs)
        lines[-1] += f"   ({mean:.0f} events/stream)"
    print(f"{args.streams} concurrent streams x {args.events} chunks, v1.0 JSON-RPC, one run")
    print(f"{'server':<18} {'first p50':>8} {'p99':>8}   {'gap p50':>7} {'p99':>7}   "
          f"{'wall s':>6} {'srv CPU':>6} {'reader':>6}  {'ok':>9}  {'RSS MiB':>6}"
          "   (first/gap in ms, wall and CPU in s)")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
