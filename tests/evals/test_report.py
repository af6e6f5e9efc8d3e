"""report.html: self-contained, and rendered by headless Chromium into a picture that is not blank."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from companion.evals.report import load_summary, print_table, render_html, trimmed, write_report

FIXTURES = Path(__file__).parent / "fixtures"
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
GREEN_BAR = (0x2F, 0x9E, 0x44)  # bars at >= 80% pass rate


def test_html_is_self_contained_and_escaped():
    summary = load_summary(FIXTURES / "run-a")
    summary["scenarios"][0]["outputs"][0]["text"] = "<script>alert('x')</script> What now?"
    page = render_html(summary)
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "Pass rate by mode" in page and "Pass rate by check" in page
    assert "<script" not in page  # escaped output, and no script of our own
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)  # no external assets
    assert "@import" not in page and "url(" not in page
    assert "skipped" in page  # the judge check without a judge model is shown as skipped


def test_print_table_and_trimmed_copy():
    from rich.console import Console

    summary = load_summary(FIXTURES / "run-b")
    console = Console(record=True, width=160)
    print_table(summary, console)
    text = console.export_text()
    assert "agenda-2" in text and "by mode" in text and "by check" in text and "pass rate" in text
    summary["scenarios"][0]["outputs"][0]["text"] = "x" * 5000
    summary["scenarios"][0]["outputs"][0]["structured"] = {"big": "y" * 5000}
    small = trimmed(summary, max_text=100)
    assert len(small["scenarios"][0]["outputs"][0]["text"]) < 200
    assert "dropped" in small["scenarios"][0]["outputs"][0]["structured"]
    assert len(summary["scenarios"][0]["outputs"][0]["text"]) == 5000  # the original is untouched


# -- a tiny PNG reader (no image library needed) ----------------------------------------------


def read_png(data: bytes) -> tuple[int, int, list[bytes], int]:
    """(width, height, rows of RGB(A) bytes, channels) for 8-bit RGB / RGBA PNGs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, channels


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (CI installs it in .ci/run)")
def test_report_renders_in_headless_chromium(tmp_path):
    summary = load_summary(FIXTURES / "run-a")
    _, html_path = write_report(summary, tmp_path / "run")
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--hide-scrollbars", "--window-size=1000,1300",
        f"--screenshot={shot}", html_path.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert shot.exists(), f"chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-800:]}"
    width, height, rows, channels = read_png(shot.read_bytes())
    assert (width, height) == (1000, 1300)
    colours: set[bytes] = set()
    non_white = 0
    for row in rows[::2]:
        for x in range(0, len(row), channels * 2):
            px = row[x : x + 3]
            colours.add(px)
            non_white += px != b"\xff\xff\xff"
    sampled = (height // 2) * (width // 2)
    assert len(colours) > 20, f"only {len(colours)} colours: the page looks blank"
    assert non_white / sampled > 0.02, "almost every pixel is white"
    assert bytes(GREEN_BAR) in colours, "the SVG bar chart was not drawn"


def test_miti_and_bank_share_by_mode_in_summary_table_and_html():
    from rich.console import Console

    from companion.evals.runner import miti_of, summarise

    users = ["My VP wants to ship without SSO.", "Three accounts won't roll out without it."]
    replies = ["Part of you wants to hold the date, and another part knows the accounts matter. "
               "What would change if you told your VP?",
               "So SSO decides whether the biggest accounts roll out. How do you read that?"]
    miti = miti_of(users, replies)
    assert miti is not None and sum(miti["codes"].values()) >= 3
    assert {"rq_ratio", "pct_complex", "pct_open", "advice_without_permission", "ratings", "display"} <= set(miti)
    entry = {"id": "s", "mode": "socratic", "passed": True, "checks": [], "fallbacks": 1,
             "guard": {"replies": 2}, "miti": miti}
    summary = summarise([entry, dict(entry, id="t")], model="toy")
    m = summary["by_mode"]["socratic"]
    assert m["fallback_share"] == 0.5
    assert sum(m["miti"]["codes"].values()) == 2 * sum(miti["codes"].values())
    assert m["miti"]["rq_ratio"] == miti["rq_ratio"]
    assert "fair 1:1" in summary["miti_thresholds"] and "good 2:1" in summary["miti_thresholds"]
    assert "40%" in summary["miti_thresholds"] and "50%" in summary["miti_thresholds"]
    console = Console(record=True, width=220)
    print_table(summary, console)
    text = console.export_text()
    assert "bank share" in text and "R:Q" in text and "by mode: toy" in text and "MITI 4" in text
    page = render_html(summary)
    assert "MITI by mode (toy)" in page and "bank share" in page and "good 2:1" in page
    assert miti_of(users, []) is None
