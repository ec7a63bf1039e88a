"""The adapters' plain-text agent: a stand-in for an LLM that streams its answer.

Text that is not an `a2a-conformance/1` script gets what a real agent sends: ``working``, one
text artifact delivered in appended chunks spread over time, then ``completed``. Its length
comes from the prompt (a number in it is the word count: "Write a 400-word story" → 400
words, about 2 s; otherwise half the prompt's length), so a black-box suite can ask for a
quick answer and for one that keeps a task running. The text is deterministic and no two
chunks of one answer are alike, so streams of the same task can be compared event by event.

The reference server's ``reference_server/answer.py`` follows the same recipe on purpose (the
same prompt gives the same text on every target); judge and judged share only
``pytest_a2a.script``, so it is a copy, not an import. Each adapter only paces and emits the
chunks with its framework's own API (:func:`schedule`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

ARTIFACT_ID = "answer"
ARTIFACT_NAME = "answer"
MIN_WORDS = 12
MAX_WORDS = 1000  # bounds one answer to about 5 s and a few kB
SECONDS_PER_WORD = 0.005  # 400 words ≈ 2 s; the default prompt's 12 words ≈ 60 ms
CHUNK_WORDS = 8
MIN_CHUNKS = 3

_NUMBER = re.compile(r"\d+")

# Coprime list lengths (7, 5, 9, 11): sentence k repeats only after 3465 sentences.
_SUBJECTS = (
    "The river",
    "A heron",
    "The old ferryman",
    "Morning fog",
    "The current",
    "A child on the bank",
    "The mill wheel",
)
_VERBS = ("carried", "followed", "remembered", "slowed beside", "turned toward")
_OBJECTS = (
    "a paper boat",
    "the last light",
    "the stones of the ford",
    "a song from upstream",
    "the reeds",
    "the bridge lanterns",
    "a fallen leaf",
    "the ferry rope",
    "the quiet town",
)
_PLACES = (
    "before the bend.",
    "under the willows.",
    "past the harbour.",
    "through the valley.",
    "at the edge of the delta.",
    "beneath the bridge.",
    "near the weir.",
    "beyond the orchard.",
    "along the towpath.",
    "into the estuary.",
    "by the boathouse.",
)


@dataclass(frozen=True)
class Answer:
    """The chunks of one answer and the pause (generation time) before each of them."""

    chunks: tuple[str, ...]
    pause: float

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def word_count(prompt: str) -> int:
    """The first number in the prompt, else half its length; within [MIN_WORDS, MAX_WORDS]."""
    found = _NUMBER.search(prompt)
    wanted = int(found.group()[:6]) if found else len(prompt) // 2
    return max(MIN_WORDS, min(MAX_WORDS, wanted))


def _words(count: int) -> list[str]:
    words: list[str] = []
    k = 0
    while len(words) < count:
        sentence = f"{_SUBJECTS[k % 7]} {_VERBS[k % 5]} {_OBJECTS[k % 9]} {_PLACES[k % 11]}"
        words.extend(sentence.split())
        k += 1
    words = words[:count]
    if not words[-1].endswith("."):
        words[-1] += "."
    return words


def compose(prompt: str) -> Answer:
    """The answer to ``prompt``: at least MIN_CHUNKS chunks of at most CHUNK_WORDS words."""
    words = _words(word_count(prompt))
    size = max(1, min(CHUNK_WORDS, len(words) // MIN_CHUNKS))
    groups = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    chunks = tuple(g if i == 0 else " " + g for i, g in enumerate(groups))
    return Answer(chunks, pause=size * SECONDS_PER_WORD)


async def schedule(
    answer: Answer, sleep: Callable[[float], Awaitable[None]], clock: Callable[[], float]
) -> AsyncIterator[tuple[int, str]]:
    """(index, chunk) pairs, each once its time has come: a steady rate from the start, so a
    late wake-up does not delay the rest. ``sleep`` is the framework's own cancellable wait."""
    start = clock()
    for i, chunk in enumerate(answer.chunks):
        await sleep(max(0.0, start + (i + 1) * answer.pause - clock()))
        yield i, chunk
