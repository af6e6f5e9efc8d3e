"""Write a run's `summary.json` and a self-contained `report.html`; print a table.

The HTML has no external assets and no script: inline CSS, an inline SVG bar chart of the pass
rate by mode and by check, tables, and each scenario's checks and outputs in `<details>`.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"


def write_summary(summary: dict[str, Any], out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / SUMMARY_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
    tmp.replace(path)
    return path


def load_summary(path: str | Path) -> dict[str, Any]:
    """A run folder or its summary.json."""
    from companion.errors import CompanionError

    p = Path(path)
    if p.is_dir():
        p = p / SUMMARY_FILE
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise CompanionError(f"{p}: no such run summary (give a run folder or its summary.json)") from None
    except (OSError, ValueError) as exc:
        raise CompanionError(f"{p}: not a readable summary.json ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise CompanionError(f"{p}: not an eval summary (no 'scenarios' list)")
    return data


def trimmed(summary: dict[str, Any], max_text: int = 1500) -> dict[str, Any]:
    """A copy with long output texts cut and structured outputs dropped (for baselines)."""
    out = json.loads(json.dumps(summary))
    for s in out.get("scenarios", []):
        for o in s.get("outputs", []):
            text = o.get("text", "")
            if len(text) > max_text:
                o["text"] = text[:max_text] + f"\n[… {len(text) - max_text} more characters]"
            if "structured" in o:
                o["structured"] = "(dropped from the baseline; see the full run's summary.json)"
    return out


# -------------------------------------------------------------------------------------- table


def probe_cell(m: dict) -> str:
    """Of the questions a structured mode asks the model for: the bank's share and the model's
    (the program composed the rest from the user's own inputs); "-" for a chat mode."""
    if not m.get("probes"):
        return "-"
    return f"{_pct(m.get('probe_bank_share'))} / {_pct(m.get('probe_model_share'))}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}:1"


def _rated(value: str, rating: str | None) -> str:
    return value if rating is None else f"{value} ({rating})"


def miti_cells(m: dict[str, Any]) -> list[str]:
    """R:Q, % complex reflections, % open questions and advice without permission of a mode's
    MITI summary, each with its MITI 4 rating (good / fair / below); dashes without one."""
    miti = m.get("miti")
    if not miti:
        return ["-", "-", "-", "-"]
    ratings = miti.get("ratings") or {}
    return [
        _rated(_ratio(miti.get("rq_ratio")), ratings.get("rq_ratio")),
        _rated(_pct(miti.get("pct_complex")), ratings.get("pct_complex")),
        _rated(_pct(miti.get("pct_open")), ratings.get("pct_open")),
        str(miti.get("advice_without_permission", 0)),
    ]


MITI_COLUMNS = ("R:Q", "% complex refl.", "% open q.", "advice w/o permission")


def print_table(summary: dict[str, Any], console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"eval: {summary.get('model')}  ({summary.get('passed')}/{summary.get('total')} passed)")
    table.add_column("scenario", overflow="fold")
    table.add_column("mode")
    table.add_column("result")
    table.add_column("failed checks", overflow="fold")
    table.add_column("fallbacks", justify="right")
    table.add_column("s", justify="right")
    for s in summary.get("scenarios", []):
        failed = [c.get("label") or c["name"] for c in s.get("checks", []) if c.get("passed") is False]
        skipped = sum(1 for c in s.get("checks", []) if c.get("skipped"))
        result = "[green]pass[/]" if s.get("passed") else ("[red]error[/]" if s.get("error") else "[red]fail[/]")
        notes = ", ".join(failed)
        if s.get("error"):
            notes = s["error"]
        if skipped:
            notes = (notes + "; " if notes else "") + f"{skipped} skipped"
        table.add_row(s["id"], s["mode"], result, notes, str(s.get("fallbacks", 0)), f"{s.get('latency_s', 0):.0f}")
    console.print(table)

    modes = Table(title=f"by mode: {summary.get('model')}",
                  caption=str(summary.get("miti_thresholds") or ""))
    for col in ("mode", "passed", "pass rate", "bank share", "probes: bank / model", "replies",
                *MITI_COLUMNS):
        modes.add_column(col, justify="left" if col == "mode" else "right")
    for mode, m in summary.get("by_mode", {}).items():
        modes.add_row(mode, f"{m['passed']}/{m['scenarios']}", _pct(m.get("pass_rate")),
                      _pct(m.get("fallback_share")), probe_cell(m), str(m.get("replies", 0)),
                      *miti_cells(m))
    console.print(modes)

    checks = Table(title="by check")
    for col in ("check", "passed", "failed", "skipped", "pass rate"):
        checks.add_column(col, justify="left" if col == "check" else "right")
    for name, c in summary.get("by_check", {}).items():
        checks.add_row(name, str(c["passed"]), str(c["failed"]), str(c["skipped"]), _pct(c.get("pass_rate")))
    console.print(checks)
    line = (f"pass rate {_pct(summary.get('pass_rate'))} ({summary.get('passed')}/{summary.get('total')}), "
            f"bank share {_pct(summary.get('fallback_share'))}, wall {summary.get('wall_s', 0):.0f} s")
    calibration = summary.get("judge_calibration")
    if summary.get("skipped_checks"):
        why = "not counted" if calibration and not calibration.get("gates") else "no judge model configured"
        line += f", {summary['skipped_checks']} judge check(s) skipped ({why})"
    if calibration:
        line += f"; {calibration['display']}"
    console.print(line)


# --------------------------------------------------------------------------------------- html

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d7dce3;padding-bottom:4px}
.meta{color:#5a6472;margin-bottom:16px}.big{font-size:34px;font-weight:700}
.cards{display:flex;gap:16px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d7dce3;border-radius:8px;padding:10px 16px;min-width:130px;background:#f6f8fa}
.card .label{color:#5a6472;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{border:1px solid #d7dce3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#116329;font-weight:600}.fail{color:#b3261e;font-weight:600}.skip{color:#8a6d00;font-weight:600}
tr.fail-row{background:#fff5f5}details{margin:6px 0}summary{cursor:pointer}
pre{white-space:pre-wrap;background:#f6f8fa;border:1px solid #e1e5ea;padding:8px;border-radius:6px;max-height:420px;overflow:auto;font-size:12px}
.note{color:#8a6d00}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _bar_chart(title: str, rows: list[tuple[str, float | None, str]]) -> str:
    """A horizontal bar chart of rates (0..1) as inline SVG."""
    label_w, bar_w, row_h, top = 210, 360, 24, 30
    height = top + row_h * max(1, len(rows)) + 26
    width = label_w + bar_w + 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="#1d2430">{_e(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * bar_w
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 22}" stroke="#d7dce3"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="#5a6472">{int(tick * 100)}%</text>')
    for i, (label, rate, extra) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" font-size="12" text-anchor="end" fill="#1d2430">{_e(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="#eef1f5"/>')
        if rate is None:
            parts.append(f'<text x="{label_w + 6}" y="{y + 16}" font-size="11" fill="#8a6d00">skipped</text>')
            continue
        colour = "#2f9e44" if rate >= 0.8 else ("#e8a317" if rate >= 0.5 else "#d64545")
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{max(1.0, rate * bar_w):.1f}" height="{row_h - 8}" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 16}" font-size="12" fill="#1d2430">{_pct(rate)}{_e(extra)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def check_description(name: str) -> str:
    """What a check's pass means, from its registered class ('' for a check no longer known)."""
    from companion.evals.checks import REGISTRY

    cls = REGISTRY.get(name)
    return " ".join(cls.description.replace("`", "").split()) if cls is not None else ""


def _check_cell(c: dict[str, Any]) -> str:
    if c.get("skipped"):
        return '<span class="skip">skipped</span>'
    return '<span class="pass">pass</span>' if c.get("passed") else '<span class="fail">fail</span>'


def render_html(summary: dict[str, Any]) -> str:
    model = summary.get("model", "?")
    by_mode = summary.get("by_mode", {})
    by_check = summary.get("by_check", {})
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>companion eval: {_e(model)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Eval report: {_e(model)}</h1>",
        f'<div class="meta">started {_e(summary.get("started", "?"))} · wall {summary.get("wall_s", 0):.0f} s · '
        f'jobs {_e(summary.get("jobs", 1))} · judge {_e(summary.get("judge") or "none")}'
        + (f' · tags {_e(", ".join(summary.get("tags") or []))}' if summary.get("tags") else "")
        + "</div>",
        '<div class="cards">',
        f'<div class="card"><div class="label">pass rate</div><div class="big">{_pct(summary.get("pass_rate"))}</div>'
        f'{_e(summary.get("passed"))}/{_e(summary.get("total"))} scenarios</div>',
        f'<div class="card"><div class="label">bank share</div><div class="big">{_pct(summary.get("fallback_share"))}</div>'
        "replies the guard replaced</div>",
        f'<div class="card"><div class="label">errors</div><div class="big">{_e(summary.get("errors", 0))}</div>scenarios that did not run</div>',
        "</div>",
    ]
    calibration = summary.get("judge_calibration")
    if calibration:
        out.append(f'<p class="note">Judge {_e(calibration["verdict"])}: Cohen\'s kappa '
                   f'{_e(calibration["kappa"] if calibration["kappa"] is not None else "n/a")} against the gold '
                   f'replies ({_e(calibration["n"])} items, {_e(calibration["skipped"])} unanswered; 0.6 or '
                   "above gates, below it the judge's labels are shown and not counted).</p>")
    if summary.get("skipped_checks"):
        why = ("the judge is uncalibrated" if calibration and not calibration.get("gates")
               else "no judge model configured")
        out.append(f'<p class="note">{_e(summary["skipped_checks"])} judge check(s) skipped: {why} '
                   "(they count neither as a pass nor as a fail).</p>")

    out.append("<h2>Pass rate by mode and by check</h2>")
    out.append(_bar_chart("Pass rate by mode", [
        (mode, m.get("pass_rate"), f"  ({m['passed']}/{m['scenarios']})") for mode, m in by_mode.items()
    ]))
    out.append("<br>")
    out.append(_bar_chart("Pass rate by check", [
        (name, c.get("pass_rate"), f"  ({c['passed']}/{c['passed'] + c['failed']})") for name, c in by_check.items()
    ]))

    out.append(f"<h2>By mode ({_e(model)})</h2><p class=\"note\">bank share: the replies where the guard "
               "fell back to the question bank.</p><table><tr><th>mode</th><th>passed</th><th>pass rate</th>"
               "<th>replies</th><th>fallbacks</th><th>bank share</th><th>probes: bank / model</th>"
               "<th>regenerations</th>"
               "<th>fallback slots</th><th>tokens</th><th>latency (s)</th></tr>")
    for mode, m in by_mode.items():
        out.append(
            f"<tr><td>{_e(mode)}</td><td class=num>{m['passed']}/{m['scenarios']}</td>"
            f"<td class=num>{_pct(m.get('pass_rate'))}</td><td class=num>{m.get('replies', 0)}</td>"
            f"<td class=num>{m.get('fallbacks', 0)}</td><td class=num>{_pct(m.get('fallback_share'))}</td>"
            f"<td class=num>{_e(probe_cell(m))}</td>"
            f"<td class=num>{m.get('regenerations', 0)}</td><td class=num>{m.get('fallback_slots', 0)}</td>"
            f"<td class=num>{m.get('tokens', 0)}</td><td class=num>{m.get('latency_s', 0):.0f}</td></tr>"
        )
    out.append("</table>")

    out.append(f"<h2>MITI by mode ({_e(model)})</h2><p class=\"note\">The coach's replies coded by "
               "<code>companion.coaching.miti</code> (the learned coder). "
               f"{_e(summary.get('miti_thresholds') or '')}.</p>"
               "<table><tr><th>mode</th><th>coded utterances</th>"
               + "".join(f"<th>{_e(c)}</th>" for c in MITI_COLUMNS) + "<th>summary</th></tr>")
    for mode, m in by_mode.items():
        miti = m.get("miti") or {}
        n = sum((miti.get("codes") or {}).values())
        out.append(f"<tr><td>{_e(mode)}</td><td class=num>{n}</td>"
                   + "".join(f"<td class=num>{_e(c)}</td>" for c in miti_cells(m))
                   + f"<td>{_e(miti.get('display', '-'))}</td></tr>")
    out.append("</table>")

    out.append("<h2>By check</h2><table><tr><th>check</th><th>passed</th><th>failed</th>"
               "<th>skipped</th><th>pass rate</th><th>passes when</th></tr>")
    for name, c in by_check.items():
        out.append(
            f"<tr><td>{_e(name)}</td><td class=num>{c['passed']}</td><td class=num>{c['failed']}</td>"
            f"<td class=num>{c['skipped']}</td><td class=num>{_pct(c.get('pass_rate'))}</td>"
            f"<td>{_e(check_description(name))}</td></tr>"
        )
    out.append("</table>")

    out.append("<h2>Scenarios</h2><table><tr><th>scenario</th><th>mode</th><th>result</th>"
               "<th>failed checks</th><th>fallbacks</th><th>latency (s)</th></tr>")
    for s in summary.get("scenarios", []):
        failed = [c.get("label") or c["name"] for c in s.get("checks", []) if c.get("passed") is False]
        result = '<span class="pass">pass</span>' if s.get("passed") else '<span class="fail">fail</span>'
        row_class = "" if s.get("passed") else ' class="fail-row"'
        out.append(
            f'<tr{row_class}><td><a href="#s-{_e(s["id"])}">{_e(s["id"])}</a></td><td>{_e(s["mode"])}</td>'
            f"<td>{result}</td><td>{_e(s.get('error') or ', '.join(failed))}</td>"
            f"<td class=num>{s.get('fallbacks', 0)}</td><td class=num>{s.get('latency_s', 0):.1f}</td></tr>"
        )
    out.append("</table>")

    out.append("<h2>Details</h2>")
    for s in summary.get("scenarios", []):
        out.append(f'<details id="s-{_e(s["id"])}"><summary><b>{_e(s["id"])}</b> · {_e(s["mode"])} · '
                   f'{"pass" if s.get("passed") else "fail"} — {_e(s.get("description", ""))}</summary>')
        if s.get("error"):
            out.append(f'<p class="fail">error: {_e(s["error"])}</p>')
        out.append("<table><tr><th>check</th><th>result</th><th>score</th><th>detail</th></tr>")
        for c in s.get("checks", []):
            score = "-" if c.get("score") is None else f"{c['score']:.2f}"
            out.append(f"<tr><td>{_e(c.get('label') or c['name'])}</td><td>{_check_cell(c)}</td>"
                       f"<td class=num>{score}</td><td>{_e(c.get('detail', ''))}</td></tr>")
        out.append("</table>")
        for o in s.get("outputs", []):
            if o.get("user"):
                out.append(f"<p><b>User:</b> {_e(o['user'])}</p>")
            flags = []
            if o.get("fallback"):
                flags.append("fallback")
            if o.get("advice"):
                flags.append("advice")
            head = "Output" if o.get("role") == "output" else "Coach"
            out.append(f"<p><b>{head}</b>{(' (' + ', '.join(flags) + ')') if flags else ''}:</p>"
                       f"<pre>{_e(o.get('text', ''))}</pre>")
        out.append("</details>")
    out.append("</body></html>")
    return "\n".join(out)


def write_html(summary: dict[str, Any], out_dir: str | Path) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT_FILE
    path.write_text(render_html(summary), "utf-8")
    return path


def write_report(summary: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    return write_summary(summary, out_dir), write_html(summary, out_dir)
