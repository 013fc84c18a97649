"""An HTML report of executions: per execution, the diagram with the path taken highlighted and the failed state
marked, the input and output, a timeline of states (click a state, in the timeline or the diagram, to see its input,
output and error), and the cost estimate. One self-contained file: open it from disk, no server, nothing fetched."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aslkit.cost import RunCost
from aslkit.local.follow import short_cause
from aslkit.render import graphviz
from aslkit.render.diagram import ExecutionPath, dot, mermaid
from aslkit.runtime.results import ExecutionResult

MAX_TIMELINE_ROWS = 400


@dataclass
class ReportEntry:
    """One execution to report, with the definition of the state machine it ran."""

    title: str  # what started it, for example "example / run.input.json"
    machine: str
    machine_type: str
    document: dict[str, Any]
    result: ExecutionResult
    cost: RunCost | None = None
    expected: str = "SUCCEEDED"

    @property
    def ok(self) -> bool:
        return self.result.status == self.expected


def execution_path(result: ExecutionResult) -> ExecutionPath:
    visits: dict[str, int] = {}
    for name in result.states:
        visits[name] = visits.get(name, 0) + 1
    failed = result.failed_state if result.status in ("FAILED", "TIMED_OUT", "ABORTED") else None
    return ExecutionPath(visits, frozenset(result.steps), failed)


def write_report(path: Path, entries: list[ReportEntry], title: str = "aslkit execution report") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_report(entries, title))
    return path


def html_report(entries: list[ReportEntry], title: str = "aslkit execution report") -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    sections = "\n".join(_section(index, entry) for index, entry in enumerate(entries))
    total = sum(entry.cost.total_usd for entry in entries if entry.cost)
    return _PAGE.format(
        title=html.escape(title),
        generated=generated,
        summary=_summary(entries),
        count=len(entries),
        total=f"${total:.6f}",
        sections=sections,
        style=_STYLE,
        script=_SCRIPT,
    )


def _summary(entries: list[ReportEntry]) -> str:
    rows = []
    for index, entry in enumerate(entries):
        result = entry.result
        verdict = "ok" if entry.ok else "unexpected"
        status = result.status + ("" if entry.expected == "SUCCEEDED" or not entry.ok else " (expected)")
        rows.append(
            f'<tr class="{verdict}"><td><a href="#x{index}">{html.escape(entry.title)}</a></td>'
            f"<td>{html.escape(entry.machine)}</td><td>{html.escape(entry.machine_type)}</td>"
            f'<td class="status {result.status.lower()}">{html.escape(status)}</td>'
            f'<td class="num">{len(result.visits) if result.history else "&ndash;"}</td>'
            f'<td class="num">{_ms(result.duration_ms)}</td>'
            f'<td class="num">{f"${entry.cost.total_usd:.6f}" if entry.cost else "&ndash;"}</td></tr>'
        )
    return "\n".join(rows)


def _section(index: int, entry: ReportEntry) -> str:
    result = entry.result
    prefix = f"x{index}:"
    path = execution_path(result) if result.history else None
    return _SECTION.format(
        index=index,
        prefix=prefix,
        status=result.status,
        status_class=result.status.lower(),
        title=html.escape(entry.title),
        machine=html.escape(entry.machine),
        machine_type=html.escape(entry.machine_type),
        arn=html.escape(result.arn),
        error=_error(result),
        diagram=_diagram(entry, path, prefix),
        timeline=_timeline(result),
        input=_pre(result.input),
        output=_pre(result.output) if result.output is not None else "<p>(no output)</p>",
        cost=html.escape(entry.cost.describe()) if entry.cost else "not estimated",
        visits=_visits_json(result),
    )


def _error(result: ExecutionResult) -> str:
    if not result.error and not result.cause:
        return ""
    where = f" in <b>{html.escape(result.failed_state)}</b>" if result.failed_state else ""
    return (
        f'<p class="error">{html.escape(result.error or "")}{where}: '
        f"<code>{html.escape(short_cause(result.cause or '', 600))}</code></p>"
    )


def _diagram(entry: ReportEntry, path: ExecutionPath | None, prefix: str) -> str:
    note = "" if path else '<p class="note">EXPRESS: no per-state history, so no path is highlighted.</p>'
    if not graphviz.available():
        source = html.escape(mermaid(entry.document, entry.machine))
        return (
            f'{note}<p class="note">Install Graphviz (<code>apt-get install graphviz</code>) to see this diagram '
            f'drawn here; its Mermaid source:</p><pre class="mermaid-source">{source}</pre>'
        )
    svg = graphviz.render(dot(entry.document, entry.machine, path), "svg").decode()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline SVG in HTML
    return note + svg.replace('id="state:', f'id="{prefix}state:')


def _timeline(result: ExecutionResult) -> str:
    if not result.visits:
        return '<p class="note">No states recorded.</p>'
    origin = result.started or result.visits[0].entered
    end = result.stopped or max((v.exited or v.entered) for v in result.visits)
    span = max((end - origin).total_seconds() * 1000, 1.0)
    rows = []
    for index, visit in enumerate(result.visits[:MAX_TIMELINE_ROWS]):
        offset = (visit.entered - origin).total_seconds() * 1000
        duration = visit.duration_ms
        left = 100 * offset / span
        width = max(0.5, 100 * (duration or 0) / span)
        notes = []
        if visit.attempts > 1:
            notes.append(f"{visit.attempts} attempts")
        if visit.error:
            notes.append(f"✗ {visit.error}")
        rows.append(
            f'<tr class="visit{" errored" if visit.error else ""}" data-index="{index}" '
            f'data-state="{html.escape(visit.name)}"><td class="name">{html.escape(visit.name)}</td>'
            f'<td>{html.escape(visit.type)}</td><td class="num">{offset:.0f}</td>'
            f'<td class="num">{_ms(duration)}</td>'
            f'<td class="bar"><span style="margin-left:{left:.2f}%;width:{width:.2f}%"></span></td>'
            f"<td>{html.escape(', '.join(notes))}</td></tr>"
        )
    more = len(result.visits) - MAX_TIMELINE_ROWS
    tail = f'<tr><td colspan="6" class="note">… {more} more visits</td></tr>' if more > 0 else ""
    return (
        '<table class="timeline"><thead><tr><th>state</th><th>type</th><th>start (ms)</th><th>took (ms)</th>'
        f"<th>timeline</th><th>notes</th></tr></thead><tbody>{''.join(rows)}{tail}</tbody></table>"
    )


def _visits_json(result: ExecutionResult) -> str:
    visits = [
        {"name": v.name, "type": v.type, "input": v.input, "output": v.output, "error": v.error, "cause": v.cause}
        for v in result.visits[:MAX_TIMELINE_ROWS]
    ]
    # Inside <script>, only "</" can end the element early.
    return json.dumps(visits, default=str).replace("</", "<\\/")


def _pre(value: Any) -> str:
    text = json.dumps(value, indent=2, default=str) if not isinstance(value, str) else value
    return f"<pre>{html.escape(_short(text, 20_000))}</pre>"


def _ms(value: float | None) -> str:
    return "&ndash;" if value is None else f"{value:.0f}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{style}</style></head>
<body data-ready="false">
<header><h1>{title}</h1><p>{count} execution(s), generated {generated}; estimated AWS cost of them all: {total}.</p>
<table class="summary"><thead><tr><th>trigger</th><th>state machine</th><th>type</th><th>status</th><th>states</th>
<th>ms</th><th>cost</th></tr></thead><tbody>
{summary}
</tbody></table></header>
{sections}
<script>{script}</script>
</body></html>
"""

_SECTION = """<section class="execution {status_class}" id="x{index}" data-prefix="{prefix}" data-status="{status}">
<h2>{title} <span class="badge {status_class}">{status}</span></h2>
<p class="meta">{machine} ({machine_type}) · <code>{arn}</code></p>
{error}
<div class="columns"><div class="diagram">{diagram}</div>
<div class="side"><h3>timeline</h3>{timeline}
<h3>selected state</h3><div class="detail"><p class="note">Click a state.</p></div>
<h3>cost</h3><p class="cost">{cost}</p>
<details><summary>execution input</summary>{input}</details>
<details open><summary>execution output</summary>{output}</details></div></div>
<script type="application/json" class="visits">{visits}</script>
</section>
"""

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 2em 3em;color:#1b1f24}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-top:1px solid #d0d7de;padding-top:1em}
h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eaeef2;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.summary tr.unexpected td{background:#fde2e1}
.badge{font-size:.8em;padding:2px 8px;border-radius:10px;background:#eaeef2}
.badge.succeeded,.status.succeeded{color:#1a7f37}.badge.failed,.status.failed{color:#c0392b}
.columns{display:flex;gap:2em;align-items:flex-start}.diagram{flex:0 1 auto;max-width:55%}
.diagram svg{max-width:100%;height:auto}
.side{flex:1 1 0;min-width:0}
.timeline tr.visit{cursor:pointer}.timeline tr.visit:hover td{background:#f6f8fa}
.timeline tr.selected td{background:#ddf4ff}.timeline tr.errored td.name{color:#c0392b}
td.bar{width:30%;min-width:120px}td.bar span{display:block;height:10px;background:#1f6feb;border-radius:2px}
.detail pre,details pre{max-height:18em;overflow:auto;background:#f6f8fa;padding:.5em;font-size:12px}
.error{color:#c0392b}.note{color:#57606a}
g.state{cursor:pointer}g.state.selected path,g.state.selected polygon,g.state.selected ellipse{stroke-width:4}
"""

_SCRIPT = """
document.querySelectorAll("section.execution").forEach(function (section) {
  var prefix = section.dataset.prefix;
  var visits = JSON.parse(section.querySelector("script.visits").textContent);
  var rows = section.querySelectorAll("tr.visit");
  var detail = section.querySelector(".detail");
  function show(value) {
    var pre = document.createElement("pre");
    pre.textContent = value === null || value === undefined ? "(none)" : JSON.stringify(value, null, 2);
    return pre;
  }
  function select(index) {
    var visit = visits[index];
    if (!visit) { return; }
    rows.forEach(function (row) { row.classList.toggle("selected", Number(row.dataset.index) === index); });
    section.querySelectorAll("g.state.selected").forEach(function (g) { g.classList.remove("selected"); });
    var node = document.getElementById(prefix + "state:" + visit.name);
    if (node) { node.classList.add("selected"); }
    detail.replaceChildren();
    var heading = document.createElement("p");
    heading.className = "selected-name";
    heading.textContent = visit.name + " (" + visit.type + ")";
    detail.append(heading);
    if (visit.error) {
      var error = document.createElement("p");
      error.className = "error";
      error.textContent = visit.error + (visit.cause ? ": " + visit.cause : "");
      detail.append(error);
    }
    var input = document.createElement("h4"); input.textContent = "input"; detail.append(input, show(visit.input));
    var output = document.createElement("h4"); output.textContent = "output"; detail.append(output, show(visit.output));
  }
  rows.forEach(function (row) { row.addEventListener("click", function () { select(Number(row.dataset.index)); }); });
  section.querySelectorAll("g.state").forEach(function (g) {
    g.addEventListener("click", function () {
      var name = g.id.slice((prefix + "state:").length);
      for (var i = visits.length - 1; i >= 0; i--) { if (visits[i].name === name) { select(i); return; } }
    });
  });
  var failed = -1;
  visits.forEach(function (visit, i) { if (visit.error) { failed = i; } });
  select(failed >= 0 ? failed : visits.length - 1);
});
document.body.dataset.ready = "true";
"""
