"""The HTML report (``--a2a-report-html``): one self-contained file (inline CSS/JS, no assets).

Summary first (verdict, target, counts per level × outcome), then every result row,
filterable by level, outcome and text; failures expand to expected/actual and the transcript.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from pytest_a2a.judge.rows import FAILING, LEVEL_ORDER, ResultRow
from pytest_a2a.reports.header import ReportHeader
from pytest_a2a.reports.json_report import build
from pytest_a2a.reports.terminal import COLUMNS

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{padding:18px 24px;background:#fff;border-bottom:1px solid #dde1e6}
h1{font-size:20px;margin:0 0 6px} .meta{color:#5b6573;font-size:13px}
.verdict{display:inline-block;padding:3px 10px;border-radius:4px;font-weight:600;color:#fff}
.ok{background:#2f8f46} .bad{background:#c8323c}
main{padding:16px 24px} table{border-collapse:collapse;background:#fff;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #e6e9ed;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600;font-size:13px} td.n{text-align:right}
#counts{width:auto;margin-bottom:14px} #counts td.n.z{color:#b5bcc6}
.o{font-weight:600;white-space:nowrap} .o-passed,.o-info{color:#2f8f46}
.o-failed,.o-error,.o-unexpected-pass{color:#c8323c} .o-non-strict{color:#b26b00}
.o-expected-failure{color:#7a5bb5} .o-unsupported,.o-skipped{color:#5b6573}
.filters{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:10px 0}
.filters fieldset{border:1px solid #dde1e6;border-radius:4px;padding:4px 8px;background:#fff}
.filters legend{font-size:12px;color:#5b6573} .filters label{margin-right:8px;font-size:13px}
details summary{cursor:pointer} pre{background:#0f1720;color:#e6edf3;padding:10px;
overflow:auto;border-radius:4px;font-size:12px;max-height:420px;white-space:pre-wrap}
.req{font-family:ui-monospace,monospace} .txt{color:#5b6573;font-size:13px}
tr.hidden{display:none} .cause{color:#c8323c;font-weight:600} .silence{color:#b26b00}
"""

_JS = """
(function(){
  const rows=[...document.querySelectorAll('#rows tbody tr')];
  const boxes=[...document.querySelectorAll('.filters input[type=checkbox]')];
  const q=document.getElementById('q'); const shown=document.getElementById('shown');
  function apply(){
    const on={}; boxes.forEach(b=>{(on[b.dataset.k]=on[b.dataset.k]||new Set());
      if(b.checked) on[b.dataset.k].add(b.value);});
    const text=q.value.toLowerCase(); let n=0;
    rows.forEach(r=>{const ok=on.level.has(r.dataset.level)&&on.outcome.has(r.dataset.outcome)
      &&(!text||r.textContent.toLowerCase().includes(text));
      r.classList.toggle('hidden',!ok); if(ok) n++;});
    shown.textContent=n+' of '+rows.length+' shown';
  }
  boxes.forEach(b=>b.addEventListener('change',apply)); q.addEventListener('input',apply);
  document.getElementById('only-bad').addEventListener('click',()=>{
    boxes.forEach(b=>{if(b.dataset.k==='outcome') b.checked=
      ['failed','error','unexpected-pass','non-strict'].includes(b.value);}); apply();});
  document.getElementById('all').addEventListener('click',()=>{
    boxes.forEach(b=>b.checked=true); q.value=''; apply();});
  apply();
})();
"""

_OPEN = FAILING | {"non-strict"}  # rows whose details exist even without a message


def _e(value: Any) -> str:
    return html.escape(str(value if value is not None else ""))


def _counts_table(data: dict[str, Any]) -> str:
    by_level: dict[str, dict[str, int]] = data["summary"]["by_level"]
    cols = [(k, t) for k, t in COLUMNS if any(c.get(k) for c in by_level.values())]
    head = "".join(f"<th>{_e(t)}</th>" for _, t in cols)
    body = []
    for level, cnt in by_level.items():
        cells = "".join(
            f'<td class="n{"" if cnt.get(k) else " z"}">{cnt.get(k, 0)}</td>' for k, _ in cols)
        body.append(f"<tr><th>{_e(level)}</th>{cells}</tr>")
    return f'<table id="counts"><tr><th>level</th>{head}</tr>{"".join(body)}</table>'


def _row(row: dict[str, Any], reqs: dict[str, Any]) -> str:
    outcome = row["outcome"]
    req = reqs.get(row["requirement"] or "", {})
    first = (row["message"] or "").strip().splitlines()
    detail = []
    if req.get("text"):
        detail.append(f'<div class="txt">{_e(req["text"])} {_e(req.get("spec", ""))}</div>')
    if row["expectation"]:
        kind = "intermittent expectation" if row.get("intermittent") else "expectation"
        detail.append(f"<div>{kind}: {_e(row['expectation'])}</div>")
    if row["message"]:
        detail.append(f"<pre>{_e(row['message'])}</pre>")
    if row["transcript"] and row["transcript"] not in (row["message"] or ""):
        detail.append(f"<div>transcript</div><pre>{_e(row['transcript'])}</pre>")
    if row["observations"]:
        obs = json.dumps(row["observations"], indent=2, ensure_ascii=False, default=str)
        detail.append(f"<div>observations</div><pre>{_e(obs)}</pre>")
    for bug in req.get("bugs", []):
        detail.append(f'<div>see <a href="{_e(bug)}">{_e(bug)}</a></div>')
    summary_text = _e(first[0][:200]) if first else ""
    cell = (f'<details{" open" if outcome in FAILING else ""}><summary>{summary_text or "details"}'
            f"</summary>{''.join(detail)}<div class=\"txt\">{_e(row['nodeid'])}</div></details>"
            if detail or outcome in _OPEN else f'<span class="txt">{_e(row["nodeid"])}</span>')
    case = f" [{_e(row['case'])}]" if row.get("case") else ""
    return (
        f'<tr data-level="{_e(row["level"] or "none")}" data-outcome="{_e(outcome)}">'
        f'<td class="req">{_e(row["requirement"] or "-")}</td><td>{_e(row["level"] or "-")}</td>'
        f'<td>{_e(row["dialect"] or "-")}{case}</td>'
        f'<td class="o o-{_e(outcome)}">{_e(outcome)}</td>'
        f'<td class="n">{row["duration"]:.3f}s</td><td>{cell}</td></tr>'
    )


def _diagnoses(data: dict[str, Any]) -> str:
    """Root causes and silences of the target, above everything else."""
    lines = [f'<p class="cause">root cause: {_e(d["text"])}</p>' for d in data["diagnoses"]]
    lines += [f'<p class="silence">target unresponsive for {_e(s["seconds"])}s after '
              f'{_e(s["after"])} (answered again before {_e(s["noticed_by"])})</p>'
              for s in data["summary"]["unresponsive"] if s["recovered"]]
    return "".join(lines)


def _coverage(data: dict[str, Any]) -> str:
    """The coverage line and, folded, what was not judged and why."""
    cov = data.get("coverage")
    if not cov:
        return ""
    why = [*(f"{rid}: needs the conformance agent: {r}" for rid, r in cov["needs_agent"].items()),
           *(f"{rid}: not judged: {r}" for rid, r in cov["not_judged"].items())]
    items = "".join(f"<li>{_e(w)}</li>" for w in why)
    return (f'<details class="coverage"><summary>{_e(cov["line"])}</summary><ul>{items}</ul>'
            "</details>")


def _filters(data: dict[str, Any]) -> str:
    rows = data["rows"]
    order = [level or "none" for level in LEVEL_ORDER]
    levels = sorted({r["level"] or "none" for r in rows},
                    key=lambda v: order.index(v) if v in order else len(order))
    outcomes = [o for o, _ in COLUMNS if any(r["outcome"] == o for r in rows)]

    def boxes(kind: str, values: Sequence[str]) -> str:
        return "".join(
            f'<label><input type="checkbox" data-k="{kind}" value="{_e(v)}" checked> {_e(v)}'
            "</label>" for v in values)

    return (
        '<div class="filters">'
        f"<fieldset><legend>level</legend>{boxes('level', levels)}</fieldset>"
        f"<fieldset><legend>outcome</legend>{boxes('outcome', outcomes)}</fieldset>"
        '<input id="q" type="search" placeholder="filter text (requirement, message...)">'
        '<button id="only-bad" type="button">problems only</button>'
        '<button id="all" type="button">show all</button> <span id="shown" class="txt"></span>'
        "</div>"
    )


def render(rows: Sequence[ResultRow], header: ReportHeader) -> str:
    """The whole page, from the same document as the JSON report."""
    data = build(rows, header)
    summ = data["summary"]
    target = data["target"] or {}
    ok = summ["passed"]
    verdict = (f'<span class="verdict {"ok" if ok else "bad"}">'
               f'{"conformant" if ok else "not conformant"}</span>')
    failing = ", ".join(summ["failing_requirements"]) or "none"
    meta = [
        f"target: {_e(target.get('url', 'n/a'))} — {_e(target.get('implementation', ''))}",
        f"dialects: {_e(', '.join(target.get('tested_dialects', [])) or 'n/a')}",
        f"grading: {'strict' if data['options']['strict'] else 'non-strict'}; "
        f"budget {data['options']['timeout']:g}s",
        f"{_e(data['tool']['name'])} {_e(data['tool']['version'])}, {_e(data['created'])}",
    ]
    reqs = data["requirements"]
    body = "".join(_row(r, reqs) for r in data["rows"])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        f"<title>A2A conformance: {_e(target.get('implementation', 'report'))}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>A2A streaming conformance {verdict}</h1>"
        f'<div class="meta">{"<br>".join(meta)}</div></header><main>'
        f"{_diagnoses(data)}"
        f"{_counts_table(data)}<div>failing requirements: <b>{_e(failing)}</b></div>"
        f"{_coverage(data)}"
        f"{_filters(data)}"
        '<table id="rows"><thead><tr><th>requirement</th><th>level</th><th>dialect</th>'
        f"<th>outcome</th><th>time</th><th>details</th></tr></thead><tbody>{body}</tbody></table>"
        f"</main><script>{_JS}</script></body></html>\n"
    )
