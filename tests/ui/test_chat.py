"""Pilot tests of the chat app with the real coaching session and a scripted model."""

from __future__ import annotations

import pytest
from uikit import MESSAGE, QUESTION, SIZE, GatedProvider, ready, settle

from companion import locations
from companion.coaching.transcripts import TranscriptStore, exports_dir
from companion.llm.base import EndpointUnreachable
from companion.ui.messages import ReplyToken
from companion.ui.screens.forms import StructuredForm
from companion.ui.screens.pickers import ChoiceDialog
from companion.ui.screens.sessions import SessionsScreen
from companion.ui.screens.viewer import SourceViewer
from companion.ui.widgets.chat import AssistantMessage, StructuredResult, UserMessage
from companion.ui.widgets.sources import SourcesPanel

pytestmark = pytest.mark.anyio


async def type_and_send(pilot, text: str) -> None:
    prompt = pilot.app.chat.prompt
    prompt.focus()
    prompt.insert(text)
    await pilot.press("enter")


def body_text(widget) -> str:
    return widget.body.source


async def test_send_streams_a_reply_and_saves_both_turns(make_app):
    app = make_app({"question": QUESTION})
    tokens: list[str] = []
    locked: list[bool] = []

    def hook(message) -> None:
        if isinstance(message, ReplyToken):
            tokens.append(message.text)
            locked.append(app.chat.prompt.read_only)

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await ready(app, pilot)
        chat = app.chat
        assert chat.status.ready and "offline" in str(chat.status.render())
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        assert locked and all(locked)  # the prompt was locked while the reply streamed

        assert not chat.busy and not chat.prompt.read_only
        assert chat.prompt.text == ""
        assert len(tokens) >= 2 and tokens[0].startswith("It sounds like your manager")
        reply = chat.query_one(AssistantMessage)
        assert QUESTION in body_text(reply)
        assert "dana.md:8-10" in body_text(reply)
        assert chat.covered == frozenset({"clarity"})
        from companion.ui.widgets.coverage import CoverageMeter

        meter = chat.query_one(CoverageMeter)  # why this type, and what was new, from the state
        assert meter.why and f"asked because {meter.why}" in str(meter.render())
        panel = chat.query_one(SourcesPanel)
        assert [r.path for r in panel.refs] == ["dana.md", "disagreeing.md", "dana.md"]

        turns = app.store.turns(chat.session_id)
        assert [t.role for t in turns] == ["user", "assistant"]
        assert turns[0].content == MESSAGE and QUESTION in turns[1].content
        assert turns[1].meta["socratic_types"] == ["clarity"]
        info = app.store.get(chat.session_id)
        assert info.title.startswith("My manager wants me to cut scope")


async def test_multiline_input_and_prompt_history(make_app):
    app = make_app({"question": QUESTION})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        prompt = app.chat.prompt
        prompt.focus()
        await pilot.press("a", "ctrl+j", "b")
        assert prompt.text == "a\nb"
        prompt.clear()
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        prompt.focus()
        await pilot.press("up")
        assert prompt.text == MESSAGE
        await pilot.press("end", "down")
        assert prompt.text == ""


async def test_escape_cancels_and_keeps_the_partial_reply(make_app):
    provider = GatedProvider([{"question": QUESTION}])
    app = make_app(provider=provider)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        await type_and_send(pilot, MESSAGE)
        for _ in range(200):  # the reflection has streamed; the model is "thinking"
            await pilot.pause(0.01)
            if provider.waiting.is_set() and chat.query(AssistantMessage) and chat.query_one(AssistantMessage).streamed:
                break
        assert provider.waiting.is_set()
        assert chat.prompt.read_only
        await pilot.press("escape")
        provider.gate.set()
        await settle(app, pilot)

        reply = chat.query_one(AssistantMessage)
        assert reply.has_class("-cancelled")
        assert "stopped" in str(reply.border_subtitle)
        assert body_text(reply).startswith("It sounds like your manager")
        assert QUESTION not in body_text(reply)
        assert not chat.busy and not chat.prompt.read_only
        turns = app.store.turns(chat.session_id)
        assert turns[-1].meta["cancelled"] is True


async def test_endpoint_error_is_a_notification_and_the_input_comes_back(make_app):
    error = EndpointUnreachable("cannot reach http://127.0.0.1:9/v1: is the server running?")
    app = make_app(error)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        assert chat.prompt.text == MESSAGE  # nothing the user typed is lost
        assert not chat.query(AssistantMessage) and not chat.query(UserMessage)
        notes = list(app._notifications)
        assert notes and notes[-1].severity == "error"
        assert "cannot reach http://127.0.0.1:9/v1" in notes[-1].message
        assert "not answering" in notes[-1].title
        assert chat.session_id is None or not app.store.turns(chat.session_id)
        # The app keeps working: the next message gets an answer.
        app.host.session.provider.enqueue({"question": QUESTION})
        await pilot.press("enter")
        await settle(app, pilot)
        assert QUESTION in body_text(chat.query_one(AssistantMessage))


async def test_switch_mode_with_slash_and_picker_and_build_an_agenda(make_app, notes):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        await type_and_send(pilot, "/mode agenda")
        await pilot.pause()
        assert chat.mode == "agenda" and app.host.session.mode == "agenda"
        assert isinstance(app.screen, StructuredForm)
        await pilot.press(*"Dana")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        result = chat.query_one(StructuredResult)
        assert result.reply.text.startswith("# 1:1 with Dana")
        assert "Dana to share the scope doc with design" in result.reply.text

        await pilot.click(result.query_one("#copy"))
        assert app.clipboard == result.reply.text
        await pilot.click(result.query_one("#save"))
        await settle(app, pilot)
        saved = sorted(notes.glob("*-agenda-*.md"))
        assert len(saved) == 1 and "# 1:1 with Dana" in saved[0].read_text("utf-8")
        assert "saved to" in str(result.border_subtitle)

        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("home", "enter")
        await pilot.pause()
        assert chat.mode == "socratic" and app.host.session.mode == "socratic"
        assert chat.query_one("#coverage").display


async def test_a_form_problem_goes_away_once_the_field_is_mended(make_app):
    # person test, 2026-12-05: "Person: ... at most 80 characters" stayed after the name was fixed
    from textual.widgets import Input, Static

    app = make_app({})
    async with app.run_test(size=(110, 40)) as pilot:
        await type_and_send(pilot, "/mode agenda")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, StructuredForm)
        await pilot.press(*("x" * 81))
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = form.query_one(".error", Static)
        assert "Person" in str(error.render())
        form.query_one("#field-person", Input).value = "Dana"
        await pilot.pause()
        assert str(error.render()) == ""


async def test_open_a_source_in_the_viewer(make_app, notes):
    app = make_app({"question": QUESTION})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        app.chat.query_one("#source-list").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SourceViewer)
        viewer = app.screen
        assert viewer.text == (notes / "dana.md").read_text("utf-8")
        area = viewer.query_one("#source-text")
        assert area.selection.start == (7, 0) and area.selection.end[0] == 9
        assert "revamp is twice the size" in area.selected_text
        await pilot.press("escape")
        assert not isinstance(app.screen, SourceViewer)


async def test_sources_panel_toggles(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        panel = app.chat.query_one(SourcesPanel)
        assert panel.display
        await pilot.press("ctrl+s")
        assert not panel.display
        await pilot.press("ctrl+s")
        assert panel.display


async def test_resume_a_saved_session(make_app):
    first = make_app({"question": QUESTION})
    async with first.run_test(size=SIZE) as pilot:
        await ready(first, pilot)
        await type_and_send(pilot, MESSAGE)
        await settle(first, pilot)
        saved_id = first.chat.session_id

    app = make_app({"question": "What are you assuming about the deadline?"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        assert not chat.query(UserMessage)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press(*"onboarding")  # full-text search
        await pilot.pause()
        assert [r.id for r in app.screen.rows] == [saved_id]
        await pilot.press("enter")
        await settle(app, pilot)
        assert chat.session_id == saved_id
        users = chat.query(UserMessage)
        assert len(users) == 1
        assert QUESTION in body_text(chat.query_one(AssistantMessage))
        assert chat.covered == frozenset({"clarity"})
        assert [h["role"] for h in app.host.session.history] == ["user", "assistant"]
        assert app.host.session.covered_types == {"clarity"}
        chat.prompt.focus()
        await pilot.press("up")
        assert chat.prompt.text == MESSAGE
        chat.prompt.clear()
        await type_and_send(pilot, "She says the deadline is fixed by the board.")
        await settle(app, pilot)
        assert len(app.store.turns(saved_id)) == 4


async def test_rename_and_delete_in_the_sessions_list(make_app):
    app = make_app({"question": QUESTION})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        sid = app.chat.session_id
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        app.screen.query_one("Input").value = "Scope talk with my manager"
        await pilot.press("enter")
        await pilot.pause()
        assert app.store.get(sid).title == "Scope talk with my manager"
        await pilot.press("ctrl+d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.store.get(sid) is None
        assert isinstance(app.screen, SessionsScreen) and not app.screen.rows


async def test_export_the_session_to_markdown(make_app):
    app = make_app({"question": QUESTION})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        await type_and_send(pilot, "/export")
        await pilot.pause()
        files = list(exports_dir().glob("*.md"))
        assert len(files) == 1
        text = files[0].read_text("utf-8")
        assert text.startswith("# My manager wants me to cut scope")
        assert "## You" in text and MESSAGE in text and QUESTION in text
        assert "dana.md:8-10" in text


async def test_new_session_clears_the_conversation(make_app):
    app = make_app({"question": QUESTION})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        welcome = app.chat.transcript.query("#welcome")
        assert welcome and "what is on your mind" in str(welcome.first().render())
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        assert not app.chat.transcript.query("#welcome")  # the conversation has begun
        first = app.chat.session_id
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.chat.transcript.query("#welcome")  # an empty session says how to begin
        assert not app.chat.query(UserMessage) and app.chat.session_id is None
        assert app.host.session.history == [] and app.chat.covered == frozenset()
        assert app.store.get(first) is not None


async def test_a_message_sent_before_loading_finishes_waits(make_app, settings, knowledge):
    import threading

    from companion.coaching.session import CoachingSession

    gate = threading.Event()

    class SlowSession(CoachingSession):
        def prepare(self, progress=None):
            if progress:
                progress("loading the model…")
            gate.wait(10)
            super().prepare(progress)

    app = make_app({"question": QUESTION}, session_factory=SlowSession)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        chat = app.chat
        assert "loading" in chat.status.activity and not chat.status.ready
        await type_and_send(pilot, MESSAGE)
        await pilot.pause(0.1)
        waiting = chat.query_one(AssistantMessage)
        assert "waiting for the model" in str(waiting.query_one(".reply-status").render())
        gate.set()
        await ready(app, pilot)
        await settle(app, pilot)
        assert QUESTION in body_text(chat.query_one(AssistantMessage))
        assert chat.status.ready and chat.status.activity == ""


async def test_a_broken_model_does_not_crash_the_app(make_app):
    from companion.coaching.session import CoachingSession
    from companion.llm.base import ModelNotFound

    class Missing(CoachingSession):
        def prepare(self, progress=None):
            raise ModelNotFound("the model file is missing: run `make chat` to install it")

    app = make_app(session_factory=Missing)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Could not load" in list(app._notifications)[-1].title
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        assert app.chat.prompt.text == MESSAGE
        assert "model file is missing" in list(app._notifications)[-1].message


async def test_command_palette_lists_our_commands(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"rebuild")
        await pilot.pause(0.3)
        from textual.command import CommandList

        options = app.screen.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Rebuild the index" in p for p in prompts)


async def test_key_bindings_come_from_settings(settings, knowledge):
    from companion.llm.fake import ScriptedProvider
    from companion.ui.app import make_app

    settings.keys.toggle_sources = "f6"
    app = make_app(settings, provider=ScriptedProvider(), knowledge=knowledge)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        panel = app.chat.query_one(SourcesPanel)
        await pilot.press("f6")
        assert not panel.display
        await pilot.press("ctrl+s")
        assert not panel.display
        keys = {b.binding.action: k for k, b in app.active_bindings.items()}
        assert keys["toggle_sources"] == "f6"


async def test_damaged_sessions_database_is_moved_aside(make_app):
    db = locations.sessions_db()
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.store.recovered_from is not None and app.store.recovered_from.exists()
        assert any("damaged" in n.message for n in app._notifications)
        assert isinstance(app.store, TranscriptStore) and app.store.list_sessions() == []


def burst(app, keys: list[tuple[str, str | None]]) -> None:
    """Queue keys the way a fast typist or `tmux send-keys` delivers them: all at once."""
    from textual import events

    for key, char in keys:
        app.post_message(events.Key(key, char))


def typed(text: str) -> list[tuple[str, str | None]]:
    return [("space" if c == " " else c, c) for c in text]


async def test_enter_in_a_burst_of_keys_sends_the_whole_text(make_app):
    app = make_app({"question": QUESTION})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        burst(app, [*typed("cut scope now"), ("enter", "\r")])
        await settle(app, pilot)
        assert app.chat.prompt.text == ""
        assert [t.content for t in app.store.turns(app.chat.session_id)][0] == "cut scope now"


async def test_form_submit_key_in_a_burst_sees_the_typed_field(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await type_and_send(pilot, "/mode mentor")
        await pilot.pause()
        burst(app, [*typed("New to pricing"), ("ctrl+s", None)])
        await settle(app, pilot)
        assert app.chat.query_one(StructuredResult).reply.text.count("New to pricing") >= 1


async def test_deleting_the_current_session_then_chatting_starts_a_new_one(make_app):
    app = make_app({"question": QUESTION}, {"question": "What are you assuming about the board?"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        first = app.chat.session_id
        app.store.delete(first)
        await type_and_send(pilot, "She says the deadline is fixed by the board.")
        await settle(app, pilot)
        assert app.chat.session_id != first
        assert [t.role for t in app.store.turns(app.chat.session_id)] == ["user", "assistant"]
        assert not [n for n in app._notifications if n.severity == "warning"]


async def test_a_model_that_crashes_on_this_cpu_is_a_notification(make_app):
    """The crash probe's cached verdict: the app says what to do instead of dying."""
    import sys

    import pytest

    from companion.llm import probe
    from companion.llm.local import LOCAL_MODELS, LocalProvider, installed

    if not installed("qwen2.5-0.5b"):
        pytest.skip("the embedded model is not installed")
    spec = LOCAL_MODELS["qwen2.5-0.5b"]
    segfault = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    probe.run_probe(spec.name, spec.sha256, command=segfault)

    app = make_app(provider=LocalProvider(spec.name))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        last = list(app._notifications)[-1]
        assert "does not run on this machine" in last.message and "SIGSEGV" in last.message
        await type_and_send(pilot, MESSAGE)
        await settle(app, pilot)
        assert app.chat.prompt.text == MESSAGE  # nothing typed is lost


def test_a_structured_result_streams_its_sections_before_it_is_finished():
    from companion.coaching.events import Done, Token
    from companion.coaching.schemas import Reply
    from companion.ui import jobs
    from companion.ui.messages import ReplyToken, StructuredFinished

    final = Reply(mode="jtbd", text="# guide\n## one\n## two\n")

    class Host:
        error = None

        def wait(self):
            return True

        def stream_structured(self, mode, inputs):
            yield Token("# guide\n")
            yield Token("## one\n")
            yield Token("## two\n")
            yield Done(final)

    posted: list = []
    jobs.structured(Host(), "jtbd", None, "a guide", posted.append)
    assert [type(m) for m in posted] == [ReplyToken, ReplyToken, ReplyToken, StructuredFinished]
    assert "".join(m.text for m in posted[:3]) == final.text and posted[-1].reply is final
