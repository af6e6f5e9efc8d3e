"""Startup benchmark: time to the chat app's first frame, against a bare Textual app.

    python benchmarks/startup.py [--runs 5]

Prints ONE JSON object:

- `first_frame_s`: median wall time from spawning `python` to the chat app's first frame
  (the app's `on_mount`, then `call_after_refresh`), headless at 100x30, real settings, in a
  temporary COMPANION_HOME. The model and the index load after that, in a worker; the child
  is stopped as soon as the frame is reported.
- `bare_first_frame_s`: the same for a bare Textual app (a Static and a Footer), same run.
- `ratio`: first_frame_s / bare_first_frame_s.
- `help_s`: median wall time of `companion --help`.
- `samples`: every measurement, in seconds.

Each measurement is a fresh process; one unmeasured warm-up of each comes first (bytecode
caches), then the runs alternate between the two apps so background load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OURS = r"""
import os
from companion.settings import load_settings
from companion.ui.app import CompanionApp

class Probe(CompanionApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(self.first_frame)

    def first_frame(self):
        print("FIRST_FRAME", flush=True)
        os._exit(0)  # do not wait for the model worker that has just started

Probe(load_settings()).run(headless=True, size=(100, 30))
"""

BARE = r"""
import os
from textual.app import App
from textual.widgets import Footer, Static

class Bare(App):
    def compose(self):
        yield Static("hello")
        yield Footer()

    def on_mount(self):
        self.call_after_refresh(self.first_frame)

    def first_frame(self):
        print("FIRST_FRAME", flush=True)
        os._exit(0)

Bare().run(headless=True, size=(100, 30))
"""


def first_frame(code: str, env: dict[str, str], timeout: float = 60.0) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "FIRST_FRAME":
                elapsed = time.perf_counter() - start
                break
        else:
            raise RuntimeError(f"no first frame: {proc.stderr.read()[-2000:] if proc.stderr else ''}")
    finally:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return elapsed


def help_time(env: dict[str, str]) -> float:
    exe = shutil.which("companion", path=str(Path(sys.executable).parent)) or "companion"
    start = time.perf_counter()
    subprocess.run([exe, "--help"], check=True, capture_output=True, env=env, timeout=60)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="companion-startup-") as home:
        env = {**os.environ, "COMPANION_HOME": home, "ORT_DISABLE_TELEMETRY": "1",
               "ANONYMIZED_TELEMETRY": "False", "TERM": os.environ.get("TERM", "xterm-256color")}
        first_frame(OURS, env)  # warm-up: bytecode caches, disk cache
        first_frame(BARE, env)
        help_time(env)
        ours, bare, helps = [], [], []
        for _ in range(args.runs):
            ours.append(first_frame(OURS, env))
            bare.append(first_frame(BARE, env))
            helps.append(help_time(env))

    ours_s = statistics.median(ours)
    bare_s = statistics.median(bare)
    print(json.dumps({
        "first_frame_s": round(ours_s, 3),
        "bare_first_frame_s": round(bare_s, 3),
        "ratio": round(ours_s / bare_s, 2),
        "help_s": round(statistics.median(helps), 3),
        "samples": {
            "first_frame_s": [round(x, 3) for x in ours],
            "bare_first_frame_s": [round(x, 3) for x in bare],
            "help_s": [round(x, 3) for x in helps],
        },
    }))


if __name__ == "__main__":
    main()
