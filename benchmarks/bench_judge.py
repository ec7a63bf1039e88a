"""The judge's event rate beside the official a2a-sdk client's, same burst, same server, one run.

    python benchmarks/bench_judge.py [--count 20000] [--repeat 3] [--profile [N]] [--memory]

One reference server (a subprocess) streams an ``a2a-conformance/1`` burst of ``--count``
16-byte chunks over v1.0 JSON-RPC to three readers, in turns:

- judge: ``A2AClient.stream_collect`` (SSE parse, decode, normalized model, schema validation,
  transcript), then every event's ``schema_errors``: what a scenario pays to fully judge it;
- a2a-sdk: the official client (``a2a.client.create_client``, ``send_message``) reading the
  same burst into its protobuf ``StreamResponse`` objects;
- raw: httpx counting ``data:`` lines, for scale (the server's and the socket's ceiling).

Two figures per reader, medians of ``--repeat`` runs:

- events/s (wall) = events of the stream (task, status, chunks, completed) / seconds from
  request to end of stream. No reader can beat the server's write rate here (``raw`` shows it),
  and other processes on the machine slow every reader;
- events/CPU-s = the same events / this process's CPU seconds for the stream (the server is
  another process): what the reader itself costs, i.e. how fast it could go with a faster
  server, and robust to a loaded machine.

Every reader must see every chunk and the judge no schema error, else the figure is marked
INVALID and the exit status is 1. ``--profile`` adds one judge pass under cProfile and prints
its top costs (numbers, never assertions: the project's tests check behaviour, not speed);
``--memory`` adds one judge pass under tracemalloc: the bytes a judged stream holds per event
(a scenario holds the whole ``StreamResult`` of a burst until it has judged it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
from servers import REFERENCE, boot, rss_mib

from pytest_a2a import script
from pytest_a2a.budget import Budget
from pytest_a2a.wire.client import A2AClient

DIALECT = "v1.0-jsonrpc"
Reader = Callable[[str, int, float], Coroutine[Any, Any, "Run"]]


@dataclass
class Run:
    events: int
    chunks: int
    seconds: float
    problem: str = ""
    collect_s: float = 0.0  # judge only: the stream_collect part of ``seconds``
    cpu_s: float = 0.0  # this process's CPU seconds over ``seconds``

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.events / self.cpu_s if self.cpu_s > 0 else 0.0


def timed(reader: Reader) -> Reader:
    """``reader`` with the process's CPU time over its run recorded in ``Run.cpu_s``."""
    async def run(base: str, count: int, budget_s: float) -> Run:
        c0 = time.process_time()
        out = await reader(base, count, budget_s)
        out.cpu_s = time.process_time() - c0
        return out
    return run


def burst(count: int) -> str:
    return script.build([{"status": "working"},
                         {"burst": {"id": "b", "count": count, "bytes": 16}},
                         {"status": "completed"}])


async def judge(base: str, count: int, budget_s: float,
                profiles: tuple[cProfile.Profile, cProfile.Profile] | None = None) -> Run:
    """``profiles``: (stream_collect, reading schema_errors), each enabled around its phase."""
    collect_prof, schema_prof = profiles or (None, None)
    async with A2AClient(base + "/", dialect=DIALECT, budget=Budget(budget_s)) as client:
        t0 = time.perf_counter()
        if collect_prof:
            collect_prof.enable()
        res = await client.stream_collect(burst(count))
        if collect_prof:
            collect_prof.disable()
        t1 = time.perf_counter()
        if schema_prof:
            schema_prof.enable()
        errors = sum(len(ev.schema_errors) for ev in res.events)
        if schema_prof:
            schema_prof.disable()
        t2 = time.perf_counter()
    chunks = sum(1 for ev in res.events if ev.artifact_update is not None)
    problems = []
    if chunks != count:
        problems.append(f"{chunks}/{count} chunks")
    if errors:
        problems.append(f"{errors} schema errors")
    if not res.reached_terminal() or res.end != "closed":
        problems.append(f"end={res.end} {res.end_reason}".strip())
    if not res.transcript:
        problems.append("no transcript")
    return Run(len(res.events), chunks, t2 - t0, "; ".join(problems), t1 - t0)


async def sdk(base: str, count: int, budget_s: float) -> Run:
    from a2a.client import ClientConfig, create_client
    from a2a.types import a2a_pb2 as pb

    async with httpx.AsyncClient(timeout=httpx.Timeout(budget_s)) as http:
        client = await create_client(base, ClientConfig(httpx_client=http, streaming=True))
        message = pb.Message(message_id=uuid.uuid4().hex, role=pb.ROLE_USER,
                             parts=[pb.Part(text=burst(count))])
        events = chunks = 0
        last = None
        t0 = time.perf_counter()
        async for ev in client.send_message(pb.SendMessageRequest(message=message)):
            events += 1
            chunks += ev.HasField("artifact_update")
            last = ev
        seconds = time.perf_counter() - t0
    done = last is not None and last.HasField("status_update") and \
        last.status_update.status.state == pb.TASK_STATE_COMPLETED
    problem = "; ".join(p for p in (f"{chunks}/{count} chunks" if chunks != count else "",
                                     "" if done else "no completed status at the end") if p)
    return Run(events, chunks, seconds, problem)


async def raw(base: str, count: int, budget_s: float) -> Run:
    body = {"jsonrpc": "2.0", "id": 1, "method": "SendStreamingMessage",
            "params": {"message": {"messageId": uuid.uuid4().hex, "role": "ROLE_USER",
                                   "parts": [{"text": burst(count)}]}}}
    async with httpx.AsyncClient(timeout=httpx.Timeout(budget_s)) as http:
        t0 = time.perf_counter()
        events, tail = 0, b"\n"  # an event starts at a line start: the body's is one too
        async with http.stream("POST", base + "/", json=body,
                               headers={"A2A-Version": "1.0"}) as resp:
            async for chunk in resp.aiter_bytes():
                data = tail + chunk
                events += data.count(b"\ndata: ")
                tail = data[-6:]  # shorter than the pattern: nothing is counted twice
        seconds = time.perf_counter() - t0
    problem = "" if events == count + 3 else f"{events} events, expected {count + 3}"
    return Run(events, events - 3, seconds, problem)


READERS: dict[str, Reader] = {"judge": timed(judge), "a2a-sdk": timed(sdk), "raw": timed(raw)}


def profile_judge(base: str, count: int, budget_s: float, top: int) -> str:
    """One judge pass under cProfile, its two phases apart (the optimizer's map)."""
    profiles = (cProfile.Profile(), cProfile.Profile())
    run = asyncio.run(judge(base, count, budget_s, profiles))
    out = io.StringIO()
    out.write(f"judge under cProfile: {run.events} events, stream_collect {run.collect_s:.2f} s"
              f" + reading schema_errors {run.seconds - run.collect_s:.2f} s (profiler overhead "
              "included)" + (f"; {run.problem}" if run.problem else "") + "\n")
    for phase, prof in zip(("stream_collect", "schema_errors"), profiles, strict=True):
        for key in ("tottime", "cumulative"):
            out.write(f"--- {phase}, by {key} ---\n")
            stats = pstats.Stats(prof, stream=out)
            stats.strip_dirs().sort_stats(key).print_stats(top)
    return out.getvalue()


def memory_per_event(base: str, count: int, budget_s: float) -> float:
    """Bytes a judged stream holds per event: one judge pass under tracemalloc, measured while
    its ``StreamResult`` is still held (every event judged, the transcript made)."""
    async def held() -> float:
        async with A2AClient(base + "/", dialect=DIALECT, budget=Budget(budget_s)) as client:
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            res = await client.stream_collect(burst(count))
            sum(len(ev.schema_errors) for ev in res.events)
            str(res.transcript)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            return grown / max(1, len(res.events))
    return asyncio.run(held())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=20_000, help="burst chunks (default 20000)")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per reader (median)")
    p.add_argument("--budget", type=float, default=300.0, help="seconds allowed per stream")
    p.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="N",
                   help="also profile one judge pass and print its top N functions")
    p.add_argument("--memory", action="store_true",
                   help="also measure the bytes a judged stream holds per event")
    args = p.parse_args()

    # a per-stream buffer that holds the whole burst: a reader slower than the agent is not
    # cut off (the server's slow-reader policy is not what this compares), so every reader
    # sees every chunk and the figures compare parsing, not who was dropped
    server = boot([*REFERENCE, "--buffer", str(args.count + 64)], "reference server")
    runs: dict[str, list[Run]] = {name: [] for name in READERS}
    try:
        print(f"reference server {server.url} (pid {server.pid}); burst of {args.count} "
              f"chunks over {DIALECT}; {args.repeat} runs per reader, in turns")
        for reader in READERS.values():  # warm-up: imports, connections, first-use caches
            asyncio.run(reader(server.url, 500, args.budget))
        for _ in range(args.repeat):
            for name, reader in READERS.items():
                runs[name].append(asyncio.run(reader(server.url, args.count, args.budget)))
        server_rss = rss_mib(server.pid)
        profile = profile_judge(server.url, args.count, args.budget, args.profile) \
            if args.profile else ""
        held = memory_per_event(server.url, args.count, args.budget) if args.memory else 0.0
    finally:
        server.stop()
        server.remove_log()

    invalid = False
    median: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, rs in runs.items():
        median[name] = statistics.median(r.rate for r in rs)
        cpu[name] = statistics.median(r.cpu_rate for r in rs)
        problems = [r.problem for r in rs if r.problem]
        invalid |= bool(problems)
        each = ", ".join(f"{r.rate:,.0f}" for r in rs)
        extra = ""
        if name == "judge":
            alone = statistics.median(r.events / r.collect_s for r in rs if r.collect_s > 0)
            share = statistics.median(r.collect_s / r.seconds for r in rs)
            extra = (f"; stream_collect alone {alone:,.0f} events/s, {share:.0%} of the time, "
                     "reading schema_errors the rest")
        print(f"  {name:<8} {median[name]:>9,.0f} events/s median ({each}); "
              f"{cpu[name]:>9,.0f} events/CPU-s ({1e6 / cpu[name]:.1f} us/event); "
              f"{rs[0].events} events{extra}" + (f"  INVALID: {problems[0]}" if problems else ""))
    print(f"  judge / a2a-sdk: {median['judge'] / median['a2a-sdk']:.2f}x wall, "
          f"{cpu['judge'] / cpu['a2a-sdk']:.2f}x per CPU-s   "
          f"(raw httpx / judge: {median['raw'] / median['judge']:.1f}x wall; "
          f"server RSS after the runs {server_rss:.0f} MiB; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    if held:
        print(f"  judge holds {held:,.0f} bytes per event of a judged {args.count}-chunk stream "
              "(tracemalloc, StreamResult still held)")
    if profile:
        print(profile)
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
