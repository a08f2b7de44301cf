"""The HTML report: one self-contained file (inline CSS and JS, nothing fetched).

Top: the target and the coverage numbers. Then the matrix, one row per operation and one column per
check family, each cell one of: passed, failed (a server defect), spec gap (new findings that are all
spec gaps), accepted (every finding is in the baseline), skipped, excluded, not served, not applicable
(the family has no test for that operation). Clicking a row opens its findings (``report.html#findings``
opens with only the operations with findings, expanded): message, kind, fingerprint, server-side error,
curl reproduction. A search box and a state filter narrow the rows. Below: stale baseline entries,
exclusions, operations not served, operations that never got a 2xx; the run's notes are under the numbers.

Everything comes from ``reporting.build``'s dict; this module only formats it.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from restcontract.checks.registry import FAMILIES
from restcontract.reporting import outcome
from restcontract.run.results import ACCEPTED, EXCLUDED, FAILED, NOT_APPLICABLE, NOT_SERVED, PASSED, SKIPPED

SPEC_GAP_CELL = "spec_gap"
# cell state -> (label, short text in the cell)
STATES = {
    FAILED: ("failed", "✗"),
    SPEC_GAP_CELL: ("spec gap", "gap"),
    ACCEPTED: ("accepted", "acc"),
    PASSED: ("passed", "✓"),
    SKIPPED: ("skipped", "skip"),
    EXCLUDED: ("excluded", "excl"),
    NOT_SERVED: ("not served", "off"),
    NOT_APPLICABLE: ("not applicable", "·"),
}
FAMILY_ORDER = list(FAMILIES)  # the registry's order (restcontract.checks.registry)

CSS = """
:root{--fail:#c62828;--gap:#e08a00;--acc:#6d6d9e;--pass:#2e7d32;--skip:#9e9e9e;--excl:#5d4037;--na:#d0d0d0;
--bg:#fafafa;--line:#e3e3e3;--ink:#1f2328;--mute:#5f6b76}
*{box-sizing:border-box}body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);
background:var(--bg);margin:0;padding:20px 28px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 8px}
.target{color:var(--mute);margin-bottom:14px}.target code{color:var(--ink)}
.verdict{display:inline-block;padding:3px 10px;border-radius:12px;color:#fff;font-weight:600;margin-left:8px;\
font-size:13px}
.verdict.ok{background:var(--pass)}.verdict.bad{background:var(--fail)}.verdict.stopped{background:var(--gap)}
.outcome-reason{font-size:14px;font-weight:400;color:var(--ink);margin-top:6px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:112px}
.card .n{font-size:22px;font-weight:600}.card .l{color:var(--mute);font-size:12px}
.card.bad .n{color:var(--fail)}.card.warn .n{color:var(--gap)}.card.ok .n{color:var(--pass)}
.bar{height:6px;background:var(--line);border-radius:3px;margin-top:4px;overflow:hidden}\
.bar i{display:block;height:100%;background:var(--pass)}
.legend{margin:10px 0;color:var(--mute);font-size:12px}.legend span{margin-right:12px;white-space:nowrap}
.tools{display:flex;gap:10px;align-items:center;margin:10px 0;flex-wrap:wrap}
.tools input[type=search]{width:320px;padding:5px 8px;border:1px solid #bbb;border-radius:6px;font:inherit}
.tools select{padding:4px;border-radius:6px;font:inherit}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line)}
th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f0f2f4;position:sticky;top:0;z-index:1;font-size:12px}
table.matrix td.c,table.matrix th.c{text-align:center;min-width:74px}
tr.op{cursor:pointer}tr.op:hover{background:#f4f8ff}
td.opname{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;white-space:nowrap}
.m{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.s{display:inline-block;min-width:46px;padding:0 6px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
.s-failed{background:var(--fail)}.s-spec_gap{background:var(--gap)}.s-accepted{background:var(--acc)}
.s-passed{background:var(--pass)}.s-skipped{background:var(--skip)}.s-excluded{background:var(--excl)}
.s-not_applicable{background:transparent;color:#aaa}\
.s-not_served{background:transparent;color:var(--excl);border:1px solid var(--excl)}
.count{color:var(--mute);font-size:12px}
tr.detail>td{background:#fbfbfd;padding:8px 14px 12px}
.finding{border:1px solid var(--line);border-left:4px solid var(--fail);border-radius:4px;margin:6px 0;background:#fff}
.finding.spec_gap{border-left-color:var(--gap)}.finding.baselined{border-left-color:var(--acc)}
.finding summary{padding:5px 8px;cursor:pointer}.finding .body{padding:2px 10px 8px}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid var(--line);border-radius:4px;
padding:6px 8px;margin:4px 0;font-size:12px;max-height:260px;overflow:auto}
.kv{color:var(--mute);font-size:12px}.kv b{color:var(--ink);font-weight:600}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;margin-right:4px;border:1px solid currentColor}
.tag.new{color:var(--fail)}.tag.acc{color:var(--acc)}.tag.gap{color:var(--gap)}.tag.def{color:var(--fail)}
.note{background:#fff8e1;border:1px solid #ffe08a;border-radius:6px;padding:6px 10px;margin:4px 0}
.hidden{display:none}
button.copy{font-size:11px;padding:1px 6px;margin-left:6px;cursor:pointer}
"""

JS = """
(function(){
  var q=document.getElementById('q'), st=document.getElementById('state'), only=document.getElementById('only');
  function apply(){
    var text=(q.value||'').toLowerCase(), want=st.value, rows=document.querySelectorAll('tr.op');
    var shown=0;
    rows.forEach(function(r){
      var ok=(!text||r.dataset.search.indexOf(text)>=0)&&(!want||(' '+r.dataset.states+' ').indexOf(' '+want+' ')>=0)
             &&(!only.checked||r.dataset.findings!=='0');
      r.classList.toggle('hidden',!ok);
      var d=document.getElementById(r.dataset.detail); if(d&&!ok){d.classList.add('hidden');}
      if(ok)shown++;
    });
    document.getElementById('shown').textContent=shown+' of '+rows.length+' operations shown';
  }
  [q,st,only].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
  document.querySelectorAll('tr.op').forEach(function(r){
    r.addEventListener('click',function(){var d=document.getElementById(r.dataset.detail);\
if(d)d.classList.toggle('hidden');});
  });
  document.querySelectorAll('button.copy').forEach(function(b){
    b.addEventListener('click',function(ev){ev.stopPropagation();var t=b.parentNode.querySelector('pre').textContent;
      if(navigator.clipboard)navigator.clipboard.writeText(t);b.textContent='copied';});
  });
  document.getElementById('expand').addEventListener('click',function(){
    document.querySelectorAll('tr.op:not(.hidden)').forEach(function(r){var d=document.getElementById(r.dataset.detail);
      if(d&&r.dataset.findings!=='0')d.classList.remove('hidden');});
  });
  document.getElementById('collapse').addEventListener('click',function(){
    document.querySelectorAll('tr.detail').forEach(function(d){d.classList.add('hidden');});
  });
  if(location.hash==='#findings'){only.checked=true;apply();document.getElementById('expand').click();
    var first=document.querySelector('tr.detail:not(.hidden) details.finding'); if(first)first.open=true;}
  else apply();
})();
"""


def _families(report: dict) -> list[str]:
    seen = {check for entry in report["operations"].values() for check in entry.get("checks", {})}
    seen |= {f["check"] for f in report.get("failures", [])}
    return [f for f in FAMILY_ORDER if f in seen] + sorted(seen - set(FAMILY_ORDER))


def cell_state(result: str | None, findings: list[dict]) -> str:
    """The matrix state of one (operation, check) from its result and its findings."""
    if result is None:
        return NOT_APPLICABLE
    if result == FAILED:
        new = [f for f in findings if not f.get("baselined")]
        if new and all(f.get("kind") == "spec_gap" for f in new):
            return SPEC_GAP_CELL
    return result if result in STATES else NOT_APPLICABLE


def _finding(f: dict) -> str:
    kind = f.get("kind", "")
    classes = ["finding", escape(kind)] + (["baselined"] if f.get("baselined") else [])
    first = " — ".join(line.strip() for line in (f.get("message") or "").splitlines()[:2] if line.strip())
    first = first if len(first) <= 160 else first[:159] + "…"
    tags = ('<span class="tag acc">accepted</span>' if f.get("baselined") else '<span class="tag new">new</span>')
    tags += f'<span class="tag {"gap" if kind == "spec_gap" else "def"}">{escape(kind.replace("_", " "))}</span>'
    parts = [f'<details class="{" ".join(classes)}"><summary>{tags}<b>{escape(f.get("check", ""))}/'
             f'{escape(f.get("rule", ""))}</b>: {escape(first)}</summary><div class="body">']
    parts.append(f'<pre>{escape(f.get("message", ""))}</pre>')
    status = (f.get("extra") or {}).get("status")
    kv = [("fingerprint", f'<span class="m">{escape(f.get("fingerprint", ""))}</span>'),
          ("occurrences", str(f.get("occurrences", 1))),
          ("status", escape(str(status))) if status else None,
          ("found in", escape(", ".join(f["runs"]))) if f.get("runs") else None]  # a merged report (reporting.merge)
    parts.append('<div class="kv">' + " · ".join(f"{k}: <b>{v}</b>" for k, v in filter(None, kv)) + "</div>")
    error = f.get("server_error")
    if error:
        parts.append('<div class="kv">server error:</div><pre>'
                     + escape(f"{error.get('type', '')}: {error.get('message', '')}\n  at {error.get('frame', '')}"
                              + (f"\n  root: {error['root']}" if error.get("root") else "")) + "</pre>")
    if f.get("reproduce"):
        parts.append('<div class="kv">reproduce:<button class="copy" type="button">copy</button>'
                     f'<pre>{escape(f["reproduce"])}</pre></div>')
    parts.append("</div></details>")
    return "".join(parts)


METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


def _order(operation: str) -> tuple:
    """Rows grouped by route (a collection's operations together), then by method."""
    method, _, route = operation.partition(" ")
    return (route.rstrip("/"), METHOD_ORDER.get(method, 9), method)


def _card(number, label: str, tone: str = "", bar: float | None = None) -> str:
    inner = f'<div class="n">{escape(str(number))}</div><div class="l">{escape(label)}</div>'
    if bar is not None:
        inner += f'<div class="bar"><i style="width:{max(0.0, min(bar, 1.0)) * 100:.1f}%"></i></div>'
    return f'<div class="card {tone}">{inner}</div>'


# outcome -> the badge's tone (restcontract.reporting.outcome): only a run that passed is green
VERDICT_TONES = {outcome.PASSED: "ok", outcome.NEW_FINDINGS: "bad", outcome.INTERRUPTED: "stopped",
                 outcome.TARGET_UNUSABLE: "bad", outcome.ERROR: "bad"}


def _outcome(s: dict) -> str:
    return s.get("outcome") or (outcome.NEW_FINDINGS if s.get("new_failures", 0) else outcome.PASSED)


def _verdict(s: dict) -> tuple[str, str]:
    """The badge beside the title (the run's outcome, its reason as the tooltip) and, unless the run
    passed, the line under the title that gives the reason."""
    result = _outcome(s)
    text = f'{s.get("new_failures", 0)} new finding(s)' if result == outcome.NEW_FINDINGS and s.get("new_failures") \
        else outcome.LABELS[result]
    reason = escape(str(s.get("outcome_reason") or ""))
    badge = (f'<span class="verdict {VERDICT_TONES[result]}" data-outcome="{result}" title="{reason}">'
             f'{escape(text)}</span>')
    line = f'<div class="outcome-reason">{outcome.LABELS[result]}: {reason}</div>' if result != outcome.PASSED else ""
    return badge, line


def render(report: dict) -> str:
    """The whole page: head, summary cards, the matrix, then the baseline, exclusions and coverage gaps."""
    families = _families(report)
    by_cell: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for f in report.get("failures", []):
        by_cell[(f["operation"], f["check"])].append(f)
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           "<title>restcontract report</title><style>", CSS, "</style></head><body>"]
    out += _heading(report)
    out += _cards(report["summary"], (report.get("baseline") or {}).get("stale") or [])
    out += [f'<div class="note">{escape(str(note))}</div>' for note in report.get("notes", [])]
    out += _matrix(report, families, by_cell)
    out += _stale_section((report.get("baseline") or {}).get("stale") or [])
    out += _gaps(report)
    out.append('<p class="kv">generated by restcontract · self-contained: no network access needed</p>')
    out.append(f"<script>{JS}</script></body></html>")
    return "\n".join(out) + "\n"


def _heading(report: dict) -> list[str]:
    """The title with the outcome's badge, the reason unless the run passed, and the target line."""
    target = report.get("target") or {}
    where = ("embedded Prefect server" if target.get("embedded")
             else f"<code>{escape(str(target.get('base_url', '')))}</code>")
    version = f" {escape(str(target.get('server_version') or ''))}"
    baseline = (f' · baseline: <code>{escape(str(report["baseline"]["path"]))}</code>'
                if (report.get("baseline") or {}).get("path") else " · no baseline")
    verdict, why = _verdict(report["summary"])
    return [f"<h1>restcontract report{verdict}</h1>{why}",
            f'<div class="target">target: {where}{version} · spec: <code>{escape(str(target.get("spec", "")))}</code>'
            + baseline + "</div>"]


def _cards(s: dict, stale: list[dict]) -> list[str]:
    """The summary's numbers, one card each (coverage ones with a bar)."""
    tested = s.get("tested", 0)
    out = ['<div class="cards">', _card(s.get("operations", 0), "operations"),
           _card(tested, "tested", bar=tested / s["operations"] if s.get("operations") else 0),
           _card(s.get("excluded", 0), "excluded")]
    if s.get("not_served"):
        out.append(_card(s["not_served"], "not served"))
    out.append(_card(f"{s.get('with_2xx', 0)}/{tested}", "tested ops with a 2xx",
                     bar=s.get("with_2xx", 0) / tested if tested else 0))
    out.append(_card(s.get("requests", 0), "requests"))
    out.append(_card(s.get("new_failures", 0), "new findings",
                     "bad" if s.get("new_failures", 0) > 0 else "ok" if _outcome(s) == outcome.PASSED else ""))
    out.append(_card(s.get("accepted", 0), "accepted (baseline)"))
    out.append(_card(s.get("stale_baseline", 0), "stale baseline entries", "warn" if stale else ""))
    out.append("</div>")
    return out


def _matrix(report: dict, families: list[str], by_cell: dict) -> list[str]:
    """Operations × checks: the legend, the search tools, and one row (with its hidden detail) per operation."""
    legend = "".join(f'<span><span class="s s-{key}">{escape(text)}</span> {escape(label)}</span>'
                     for key, (label, text) in STATES.items())
    options = "".join(f'<option value="{k}">{escape(label)}</option>' for k, (label, _) in STATES.items())
    out = ["<h2>Operations × checks</h2>",
           '<div class="legend">' + legend + " · click a row for its findings</div>",
           '<div class="tools"><input id="q" type="search" placeholder="search operation, check, rule, message, '
           'fingerprint">'
           f'<select id="state"><option value="">any state</option>{options}</select>'
           '<label><input id="only" type="checkbox"> only operations with findings</label>'
           '<button id="expand" type="button">expand all</button>'
           '<button id="collapse" type="button">collapse all</button>'
           '<span id="shown" class="count"></span></div>',
           '<table class="matrix"><thead><tr><th>operation</th>'
           + "".join(f'<th class="c">{escape(f)}</th>' for f in families)
           + '<th>responses</th><th class="c">findings</th></tr></thead><tbody>']
    for number, (op, entry) in enumerate(sorted(report["operations"].items(), key=lambda item: _order(item[0]))):
        out += _operation_rows(f"d{number}", op, entry, families, by_cell)
    out.append("</tbody></table>")
    return out


def _operation_rows(detail_id: str, op: str, entry: dict, families: list[str], by_cell: dict) -> list[str]:
    """One operation's row of cells, and the hidden row under it with its answers, runs and findings."""
    checks = entry.get("checks", {})
    findings = sorted((f for fam in families for f in by_cell.get((op, fam), [])),
                      key=lambda f: (bool(f.get("baselined")), f.get("kind") != "server_defect"))
    states, cells = set(), []
    for fam in families:
        state = cell_state(checks.get(fam), by_cell.get((op, fam), []))
        states.add(state)
        label, text = STATES[state]
        cells.append(f'<td class="c"><span class="s s-{state}" title="{escape(fam)}: {escape(label)}">'
                     f'{escape(text)}</span></td>')
    status_text = _statuses(entry.get("statuses", {}))
    search = " ".join([op, *checks, *(f"{f['rule']} {f['fingerprint']} {f.get('message', '')[:300]}" for f in findings),
                       *(entry.get("runs") or {})])
    new = sum(1 for f in findings if not f.get("baselined"))
    count = f"{new} new" + (f" / {len(findings)}" if len(findings) != new else "") if findings else ""
    row = (f'<tr class="op" data-detail="{detail_id}" data-findings="{len(findings)}" '
           f'data-states="{" ".join(sorted(states))}" data-search="{escape(search.lower())}">'
           f'<td class="opname">{escape(op)}</td>{"".join(cells)}'
           f'<td class="m count">{escape(status_text)}</td><td class="c count">{escape(count)}</td></tr>')
    body = "".join(_detail(entry, status_text, findings))
    return [row, f'<tr class="detail hidden" id="{detail_id}"><td colspan="{len(families) + 3}">{body}</td></tr>']


def _statuses(statuses: dict) -> str:
    return " ".join(f"{code}×{n}" for code, n in statuses.items()) or "—"


def _detail(entry: dict, status_text: str, findings: list[dict]) -> list[str]:
    """An operation's detail: why it was not run, its answers, each run's own (a merged report), its findings."""
    body = []
    if entry.get("reason"):
        body.append(f'<div class="kv">reason: <b>{escape(entry["reason"])}</b></div>')
    body.append(f'<div class="kv">responses: <b class="m">{escape(status_text)}</b></div>')
    for label, run in (entry.get("runs") or {}).items():  # a merged report: each run's own answers and results
        run_checks = ", ".join(f"{c}: {r}" for c, r in (run.get("checks") or {}).items()) or "not run"
        body.append(f'<div class="kv run">run <b>{escape(label)}</b>: '
                    f'<span class="m">{escape(_statuses(run.get("statuses") or {}))}</span>'
                    f' · {escape(run_checks)}</div>')
    return body + ([_finding(f) for f in findings] or ['<div class="kv">no findings</div>'])


def _stale_section(stale: list[dict]) -> list[str]:
    """Baseline entries this run did not reproduce, with what to do about them."""
    out = [f"<h2>Stale baseline entries ({len(stale)})</h2>"]
    if not stale:
        return out + ['<p class="kv">none</p>']
    out.append('<p class="kv">Accepted deviations this run did not reproduce: the defect may be fixed. Remove them '
               "(or run with <code>--update-baseline</code>); <code>--strict-baseline</code> fails the gate on "
               "them.</p>")
    out.append("<table><thead><tr><th>fingerprint</th><th>operation</th><th>check/rule</th><th>summary</th>"
               "<th>reason</th></tr></thead><tbody>")
    for e in stale:
        out.append(f'<tr><td class="m">{escape(e.get("fingerprint", ""))}</td>'
                   f'<td class="m">{escape(e.get("operation", ""))}</td>'
                   f'<td>{escape(e.get("check", ""))}/{escape(e.get("rule", ""))}</td>'
                   f'<td>{escape(e.get("summary", ""))}</td><td>{escape(e.get("reason", ""))}</td></tr>')
    out.append("</tbody></table>")
    return out


def _reasons_table(reasons: dict) -> str:
    return ("<table><tbody>" + "".join(f'<tr><td class="m">{escape(op)}</td><td>{escape(str(reason))}</td></tr>'
                                       for op, reason in sorted(reasons.items())) + "</tbody></table>")


def _gaps(report: dict) -> list[str]:
    """Excluded operations, operations not served (only when there are some), tested ones without a 2xx."""
    excluded = report.get("excluded") or {}
    out = [f"<h2>Excluded operations ({len(excluded)})</h2>",
           _reasons_table(excluded) if excluded else '<p class="kv">none</p>']
    not_served = report.get("not_served") or {}
    if not_served:  # the server said it does not serve them (a feature its settings switch off)
        out += [f"<h2>Operations not served ({len(not_served)})</h2>", _reasons_table(not_served)]
    without = report.get("without_2xx") or {}
    out.append(f"<h2>Tested operations that never got a 2xx ({len(without)})</h2>")
    out.append(f"<details><summary>show</summary>{_reasons_table(without)}</details>" if without
               else '<p class="kv">none</p>')
    return out
