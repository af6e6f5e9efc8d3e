"""Fast start: the UI never imports chromadb, llama_cpp, langchain, openai or onnxruntime."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from companion import locations

HEAVY = ("chromadb", "llama_cpp", "langchain", "openai", "onnxruntime")
UI_DIR = locations.PACKAGE_DIR / "ui"

SCRIPT = r"""
import asyncio, json, sys
from pathlib import Path
sys.path.insert(0, {uikit_dir!r})
from uikit import MESSAGE, QUESTION, UIKnowledge, ready, settle
from companion.llm.fake import ScriptedProvider
from companion.settings import load_settings
from companion.ui.app import make_app

async def main():
    notes = Path({notes!r})
    app = make_app(load_settings(notes_dirs=[notes]),
                   provider=ScriptedProvider([{{"question": QUESTION}}]),
                   knowledge=UIKnowledge(notes))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        app.chat.prompt.insert(MESSAGE)
        await pilot.press("enter")
        await settle(app, pilot)
        answered = QUESTION in app.store.turns(app.chat.session_id)[-1].content
    heavy = sorted(m for m in sys.modules if m.split(".")[0].startswith({heavy!r}))
    print(json.dumps({{"answered": answered, "heavy": heavy}}))

asyncio.run(main())
"""


def test_mounting_the_app_and_chatting_loads_nothing_heavy(notes, companion_home):
    script = SCRIPT.format(uikit_dir=str(Path(__file__).parent), notes=str(notes), heavy=HEAVY)
    env = {**os.environ, "COMPANION_HOME": str(companion_home)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, env=env, cwd=locations.PROJECT_DIR)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["answered"]
    assert result["heavy"] == []


def test_no_ui_module_imports_a_heavy_library():
    offenders = []
    for path in sorted(UI_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0].startswith(HEAVY) or name.startswith(
                    ("companion.knowledge.index", "companion.knowledge.store",
                     "companion.knowledge.embeddings", "companion.llm.local",
                     "companion.llm.openai_compat")
                ):
                    offenders.append(f"{path.relative_to(UI_DIR)}: {name}")
    assert offenders == []


def test_coverage_meter_knows_every_socratic_type():
    from companion.coaching.questions import SOCRATIC_TYPES
    from companion.ui.widgets import coverage

    assert coverage.SOCRATIC_TYPES == SOCRATIC_TYPES
    assert set(coverage.TYPE_LABELS) == set(SOCRATIC_TYPES)
