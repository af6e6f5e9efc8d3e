"""Compare two recorded runs: per-check and per-mode deltas with paired bootstrap intervals.

Runs are paired by scenario id (scenarios in only one run are listed, not compared). For each
check, a scenario's value is the share of its non-skipped checks of that name that passed (most
scenarios hold one, so it is 0 or 1); for each mode and overall, it is whether the scenario
passed. The delta is mean(B) - mean(A) over the paired scenarios, and its 95% interval comes
from resampling the scenarios with replacement (a paired bootstrap, numpy, fixed seed), so a
change seen on the same scenarios is not confused with noise between different ones.
"""

from __future__ import annotations

from typing import Any

N_BOOT = 2000
SEED = 20260
LEVEL = 0.95


def _check_values(entry: dict[str, Any]) -> dict[str, float]:
    tallies: dict[str, list[int]] = {}
    for c in entry.get("checks", []):
        if c.get("skipped") or c.get("passed") is None:
            continue
        tallies.setdefault(c["name"], []).append(1 if c["passed"] else 0)
    return {name: sum(v) / len(v) for name, v in tallies.items()}


def paired_delta(a: list[float], b: list[float], *, n_boot: int = N_BOOT, seed: int = SEED,
                 level: float = LEVEL) -> dict[str, Any]:
    """mean(b) - mean(a) over pairs, with a percentile bootstrap interval of the paired mean."""
    import numpy as np

    n = len(a)
    if n == 0:
        return {"n": 0, "a": None, "b": None, "delta": None, "ci": [None, None], "significant": False}
    diff = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    means = diff[idx].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    lo, hi = float(lo), float(hi)
    return {
        "n": n,
        "a": round(float(np.mean(a)), 4),
        "b": round(float(np.mean(b)), 4),
        "delta": round(float(diff.mean()), 4),
        "ci": [round(lo, 4), round(hi, 4)],
        "significant": bool(lo > 0 or hi < 0),
    }


def compare_runs(a: dict[str, Any], b: dict[str, Any], *, n_boot: int = N_BOOT, seed: int = SEED) -> dict[str, Any]:
    ea = {s["id"]: s for s in a.get("scenarios", [])}
    eb = {s["id"]: s for s in b.get("scenarios", [])}
    common = [i for i in ea if i in eb]

    def flips(sid: str, before: bool, after: bool) -> list[str]:
        va = {(c.get("label") or c["name"]): c.get("passed") for c in ea[sid].get("checks", [])}
        return [
            (c.get("label") or c["name"])
            for c in eb[sid].get("checks", [])
            if c.get("passed") is after and va.get(c.get("label") or c["name"]) is before
        ]

    newly_failing = [
        {"id": i, "mode": eb[i]["mode"], "checks": flips(i, True, False), "error": eb[i].get("error")}
        for i in common if ea[i].get("passed") and not eb[i].get("passed")
    ]
    newly_passing = [
        {"id": i, "mode": eb[i]["mode"], "checks": flips(i, False, True)}
        for i in common if not ea[i].get("passed") and eb[i].get("passed")
    ]
    still_failing = [i for i in common if not ea[i].get("passed") and not eb[i].get("passed")]

    overall = paired_delta([float(bool(ea[i].get("passed"))) for i in common],
                           [float(bool(eb[i].get("passed"))) for i in common], n_boot=n_boot, seed=seed)
    by_mode: dict[str, Any] = {}
    for mode in dict.fromkeys(eb[i]["mode"] for i in common):
        ids = [i for i in common if eb[i]["mode"] == mode]
        by_mode[mode] = paired_delta([float(bool(ea[i].get("passed"))) for i in ids],
                                     [float(bool(eb[i].get("passed"))) for i in ids], n_boot=n_boot, seed=seed)
    by_check: dict[str, Any] = {}
    values_a = {i: _check_values(ea[i]) for i in common}
    values_b = {i: _check_values(eb[i]) for i in common}
    names = sorted({n for v in (*values_a.values(), *values_b.values()) for n in v})
    for name in names:
        ids = [i for i in common if name in values_a[i] and name in values_b[i]]
        by_check[name] = paired_delta([values_a[i][name] for i in ids], [values_b[i][name] for i in ids],
                                      n_boot=n_boot, seed=seed)
    return {
        "a": {"model": a.get("model"), "started": a.get("started"), "pass_rate": a.get("pass_rate"), "total": len(ea)},
        "b": {"model": b.get("model"), "started": b.get("started"), "pass_rate": b.get("pass_rate"), "total": len(eb)},
        "paired": len(common),
        "bootstrap": {"resamples": n_boot, "seed": seed, "level": LEVEL},
        "newly_failing": newly_failing,
        "newly_passing": newly_passing,
        "still_failing": still_failing,
        "only_in_a": [i for i in ea if i not in eb],
        "only_in_b": [i for i in eb if i not in ea],
        "overall": overall,
        "by_mode": by_mode,
        "by_check": by_check,
        # The MITI summary of each run's replies, per mode (None where a run has none).
        "miti": {
            mode: {"a": (a.get("by_mode", {}).get(mode) or {}).get("miti"),
                   "b": (b.get("by_mode", {}).get(mode) or {}).get("miti")}
            for mode in dict.fromkeys([*a.get("by_mode", {}), *b.get("by_mode", {})])
        },
    }


def _signed(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:+.1f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def print_comparison(result: dict[str, Any], label_a: str = "A", label_b: str = "B", console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    console.print(f"[bold]A[/] {label_a}: {result['a']['model']} ({_pct(result['a']['pass_rate'])})   "
                  f"[bold]B[/] {label_b}: {result['b']['model']} ({_pct(result['b']['pass_rate'])})   "
                  f"{result['paired']} paired scenarios")
    def flipped(rows: list[dict], verb: str, style: str) -> None:
        table = Table(title=f"newly {verb}ing in B ({len(rows)})", title_style=style)
        table.add_column("scenario")
        table.add_column("mode")
        table.add_column(f"checks that flipped to {verb}", overflow="fold")
        for row in rows:  # only a failing row can carry an error
            table.add_row(row["id"], row["mode"], row.get("error") or ", ".join(row["checks"]) or "-")
        console.print(table)

    if result["newly_failing"]:
        flipped(result["newly_failing"], "fail", "bold red")
    else:
        console.print("[green]no newly failing scenarios[/]")
    if result["newly_passing"]:
        flipped(result["newly_passing"], "pass", "bold green")

    level = int(result["bootstrap"]["level"] * 100)
    for title, rows in (("by mode", {"(all)": result["overall"], **result["by_mode"]}), ("by check", result["by_check"])):
        table = Table(title=f"{title}: B - A in points, {level}% paired bootstrap interval")
        for col in ("", "n", "A", "B", "delta", "interval", ""):
            table.add_column(col, justify="left" if col == "" else "right")
        for name, d in rows.items():
            mark = ""
            if d["significant"]:
                mark = "[green]better[/]" if d["delta"] > 0 else "[red]worse[/]"
            table.add_row(name, str(d["n"]), _pct(d["a"]), _pct(d["b"]), _signed(d["delta"]),
                          f"[{_signed(d['ci'][0])}, {_signed(d['ci'][1])}]", mark)
        console.print(table)
    miti = {m: v for m, v in (result.get("miti") or {}).items() if v["a"] or v["b"]}
    if miti:
        from companion.evals.report import MITI_COLUMNS, miti_cells

        table = Table(title="MITI by mode and model (R:Q fair 1:1, good 2:1; complex fair 40%, good 50%)")
        for col in ("mode", "model", *MITI_COLUMNS):
            table.add_column(col, justify="left" if col in ("mode", "model") else "right")
        for mode, v in miti.items():
            for side in ("a", "b"):
                table.add_row(mode, f"{side.upper()} {result[side]['model']}", *miti_cells({"miti": v[side]}))
        console.print(table)
    for key, text in (("only_in_a", "only in A"), ("only_in_b", "only in B")):
        if result[key]:
            console.print(f"{text}: {', '.join(result[key])}")
