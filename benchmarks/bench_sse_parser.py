"""SSE parser throughput: pytest-a2a's parser against httpx-sse's decoder, same input, same run.

The parser sits under every scenario (a 20,000-chunk burst goes through it), so its speed is
measured here, with a peer for scale, instead of being asserted in a test.

    python benchmarks/bench_sse_parser.py [--events 20000] [--chunk 16384] [--repeat 5]
"""

from __future__ import annotations

import argparse
import codecs
import statistics
import time
from collections.abc import Callable

from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from pytest_a2a.wire.sse import SSEParser

EVENT_LF = b'data: {"jsonrpc":"2.0","id":"r","result":{"statusUpdate":{"taskId":"t"}}}\n\n'


def chunks(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def ours(pieces: list[bytes]) -> int:
    parser = SSEParser()
    return sum(len(parser.feed(piece)) for piece in pieces)


def httpx_sse(pieces: list[bytes]) -> int:
    text = codecs.getincrementaldecoder("utf-8")()
    lines, decoder = SSELineDecoder(), SSEDecoder()
    count = 0
    for piece in pieces:
        for line in lines.decode(text.decode(piece)):
            count += decoder.decode(line) is not None
    return count


def best_of(fn: Callable[[list[bytes]], int], pieces: list[bytes], expected: int, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        got = fn(pieces)
        times.append(time.perf_counter() - started)
        if got != expected:
            raise SystemExit(f"{fn.__name__}: parsed {got} events, expected {expected}")
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=20_000)
    p.add_argument("--chunk", type=int, default=16_384)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    for name, event in (("LF", EVENT_LF), ("CRLF", EVENT_LF.replace(b"\n", b"\r\n"))):
        pieces = chunks(event * args.events, args.chunk)
        a = best_of(ours, pieces, args.events, args.repeat)
        b = best_of(httpx_sse, pieces, args.events, args.repeat)
        print(
            f"{name:4} {args.events} events in {args.chunk}-byte chunks: "
            f"pytest-a2a {args.events / a:,.0f} events/s, "
            f"httpx-sse {args.events / b:,.0f} events/s (ratio {b / a:.2f}x)"
        )


if __name__ == "__main__":
    main()
