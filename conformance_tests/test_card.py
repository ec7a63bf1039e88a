"""Agent card discovery (STREAMING.md R18, R21, R22).

The plugin already found a card to know what to test (possibly at the legacy path or at a URL
the user gave); these scenarios judge the card itself and that each declared interface really
speaks the dialect it claims.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_a2a.judge.context import A2AContext
from pytest_a2a.judge.requirements import DialectId
from pytest_a2a.run.target import Target
from pytest_a2a.wire.card import CARD_PATH, interfaces_of
from pytest_a2a.wire.client import A2AClient
from pytest_a2a.wire.results import CallResult

pytestmark = pytest.mark.asyncio

BINDINGS: dict[DialectId, str] = {
    "v0.3-jsonrpc": "JSONRPC", "v1.0-jsonrpc": "JSONRPC", "v1.0-rest": "HTTP+JSON"}


def _well_known_urls(target: Target, interface_url: str) -> list[str]:
    """The well-known card URL under the target's base URL, and under the server's origin."""
    base = target.url.split("/.well-known/")[0].rstrip("/")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(interface_url))
    return list(dict.fromkeys([base + CARD_PATH, origin + CARD_PATH]))


@pytest.mark.a2a_requirement("card.well-known")
async def test_well_known(a2a: A2AContext, a2a_target: Target) -> None:
    """R21/R22: the card is served as a JSON object at /.well-known/agent-card.json."""
    tried = []
    found: CallResult | None = None
    for url in _well_known_urls(a2a_target, a2a.url):
        res = await a2a.client.raw("GET", url, dialect_headers=False)
        tried.append(f"{url}: HTTP {res.http_status} {res.content_type}")
        if res.http_status == 200 and isinstance(res.raw, dict):
            found = res
            break
    a2a.check(found is not None, expected=f"HTTP 200 with a JSON object at {CARD_PATH}",
              actual="; ".join(tried), stream=found)


def _str(card: dict[str, Any], key: str) -> bool:
    return isinstance(card.get(key), str) and bool(card[key].strip())


def _card_problems(card: dict[str, Any], dialect: DialectId, url: str) -> list[str]:
    problems = [f"{k} is not a non-empty string" for k in ("name", "version", "description")
                if not _str(card, k)]
    if not isinstance(card.get("capabilities"), dict):
        problems.append("capabilities is not an object")
    skills = card.get("skills")
    if not isinstance(skills, list) or not all(isinstance(s, dict) and _str(s, "id")
                                               for s in skills):
        problems.append("skills is not a list of objects with an id")
    for key in ("defaultInputModes", "defaultOutputModes"):
        modes = card.get(key)
        if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
            problems.append(f"{key} is not a list of media types")
    entries = card.get("supportedInterfaces")
    if dialect.startswith("v1.0"):
        if not isinstance(entries, list) or not entries:
            return [*problems, "supportedInterfaces is missing or empty"]
        for i, entry in enumerate(entries):
            missing = [k for k in ("url", "protocolBinding", "protocolVersion")
                       if not isinstance(entry, dict) or not _str(entry, k)]
            if missing:
                problems.append(f"supportedInterfaces[{i}] lacks {', '.join(missing)}")
    elif not isinstance(entries, list) or not any(
            isinstance(e, dict) and str(e.get("protocolVersion", "")).startswith("0.3")
            for e in entries):
        # reached through the 0.3 top-level members
        if not _str(card, "url") or not urlsplit(card["url"]).scheme.startswith("http"):
            problems.append("0.3: url is not an absolute http(s) URL")
        if not str(card.get("protocolVersion", "")).startswith("0.3"):
            problems.append(f"0.3: protocolVersion is {card.get('protocolVersion')!r}")
        transport = card.get("preferredTransport", "JSONRPC")
        extra = [e.get("transport") for e in card.get("additionalInterfaces") or []
                 if isinstance(e, dict) and e.get("url") == url]
        if transport != "JSONRPC" and "JSONRPC" not in extra:
            problems.append(f"0.3: preferredTransport is {transport!r} and no JSONRPC interface")
    return problems


@pytest.mark.a2a_requirement("card.valid")
async def test_valid(a2a: A2AContext) -> None:
    """R21/R22: the card has what a client of this dialect needs to use it."""
    problems = _card_problems(a2a.card, a2a.dialect, a2a.url)
    a2a.check(not problems, expected=f"a complete agent card for {a2a.dialect}",
              actual="; ".join(problems))


@pytest.mark.a2a_requirement("card.streaming-declared")
async def test_streaming_declared(a2a: A2AContext) -> None:
    """R18/R21: ``capabilities.streaming`` says whether the streaming methods are offered."""
    caps = a2a.card.get("capabilities")
    value = caps.get("streaming") if isinstance(caps, dict) else None
    a2a.record("capabilities.streaming", value)
    a2a.check(value is None or isinstance(value, bool),
              expected="capabilities.streaming is a boolean", actual=repr(value))
    if value is not True:
        a2a.unsupported(f"capabilities.streaming is {value!r}: the agent does not stream")


def _answer_shape(dialect: DialectId, body: Any) -> str | None:
    """The problem with a SendMessage answer's shape for ``dialect`` (None: it fits)."""
    result = body if dialect == "v1.0-rest" else (
        body.get("result") if isinstance(body, dict) else None)
    if not isinstance(result, dict):
        return f"no result object: {str(body)[:160]}"
    if dialect == "v0.3-jsonrpc":
        return None if result.get("kind") in ("task", "message") else \
            f"0.3 result without kind task/message (members {sorted(result)[:6]})"
    return None if ("task" in result) != ("message" in result) else \
        f"1.0 result without exactly one of task/message (members {sorted(result)[:6]})"


def _declared(card: dict[str, Any], card_url: str, dialect: DialectId) -> list[str]:
    """Every URL the card declares for ``dialect``, in card order (not only the first one,
    which the plugin picked): each entry is classified on its own by ``interfaces_of``."""
    entries = card.get("supportedInterfaces")
    extra = card.get("additionalInterfaces")
    singles: list[dict[str, Any]] = [
        {"supportedInterfaces": [e]} for e in (entries if isinstance(entries, list) else [])]
    singles.append({k: card[k] for k in ("protocolVersion", "url", "preferredTransport")
                    if k in card})
    singles += [{"protocolVersion": card.get("protocolVersion"), "additionalInterfaces": [e]}
                for e in (extra if isinstance(extra, list) else [])]
    found = [interfaces_of(one, card_url).get(dialect) for one in singles]
    return list(dict.fromkeys(url for url in found if url))


async def _answers(a2a: A2AContext, client: A2AClient, url: str
                   ) -> tuple[str | None, CallResult]:
    """(the problem with ``url``'s SendMessage answer in this dialect or None, the call)."""
    res = await client.send(a2a.prompt)
    if not res.ok:
        return f"{url}: {res.describe()}", res
    shape = _answer_shape(a2a.dialect, res.raw)
    if shape is not None:
        return f"{url}: {shape}", res
    if a2a.binding == "jsonrpc" and res.response_id != res.request_id:
        return f"{url}: response id {res.response_id!r} for request id {res.request_id!r}", res
    return None, res


@pytest.mark.a2a_requirement("card.interface-answers")
async def test_interface_answers(a2a: A2AContext, a2a_target: Target) -> None:
    """R21/R22: every interface the card declares for this dialect (the one the plugin uses
    and any further entry) answers SendMessage in its binding and version."""
    urls = list(dict.fromkeys([a2a.url, *_declared(a2a.card, a2a_target.card_url, a2a.dialect)]))
    a2a.record("declared interfaces", urls)
    problems: list[str] = []
    failing: CallResult | None = None
    for url in urls:
        if url == a2a.url:
            problem, res = await _answers(a2a, a2a.client, url)
        else:
            other = A2AClient(url, dialect=a2a.dialect, budget=a2a.budget,
                              headers=dict(a2a.headers), max_event_bytes=a2a.max_event_bytes)
            async with other:
                problem, res = await _answers(a2a, other, url)
        if problem is not None:
            problems.append(problem)
            failing = failing or res
    a2a.check(not problems,
              expected=f"a successful {a2a.dialect} ({BINDINGS[a2a.dialect]}) SendMessage answer "
                       f"at each declared interface: {', '.join(urls)}",
              actual="; ".join(problems), stream=failing)
