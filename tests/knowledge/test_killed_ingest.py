"""A real ingest process killed with SIGKILL mid-way; the next run repairs the index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from kb_helpers import assert_consistent, manifest_rows, planned_ids, write

SCRIPT = """
import sys
from pathlib import Path
import companion.knowledge.index as index_mod
from companion.knowledge.index import KnowledgeBase
from companion.settings import load_settings

index_mod.EMBED_BATCH = 4
kb = KnowledgeBase(load_settings(), index_dir=Path(sys.argv[1]), notes_dirs=[Path(sys.argv[2])],
                   include_corpus=False)
kb.sync(lambda done, total, current: print(done, total, current, flush=True))
print("finished", flush=True)
"""


def test_sigkill_mid_ingest_is_repaired_by_the_next_run(tmp_path, make_kb):
    root = tmp_path / "vault"
    for n in range(4):
        body = "\n\n".join(
            f"## Item {n}.{i}\nDecision log entry {i} of file {n}: the options we weighed, the "
            f"evidence from customer calls, and who owns the follow-up work."
            for i in range(8)
        )
        write(root, f"log{n}.md", f"# Log {n}\n\n{body}\n")
    index_dir = tmp_path / "index"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(index_dir), str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    killed_at = None
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    for line in proc.stdout:
        parts = line.split()
        if parts and parts[0].isdigit() and int(parts[0]) >= 10:
            os.kill(proc.pid, signal.SIGKILL)
            killed_at = int(parts[0])
            break
        assert time.monotonic() < deadline
    proc.wait(timeout=30)
    assert killed_at is not None, proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL

    kb = make_kb(root, index_dir=index_dir)
    rows = manifest_rows(kb)
    assert any(r["state"] == "pending" for r in rows)  # it really died mid-way
    stored = kb.store().count()
    assert stored >= killed_at

    report = kb.sync()
    ids = assert_consistent(kb)
    assert ids == planned_ids(kb)  # nothing missing, nothing extra
    assert report.chunks_embedded == len(ids) - stored  # what was stored is reused
    assert kb.sync().chunks_embedded == 0
