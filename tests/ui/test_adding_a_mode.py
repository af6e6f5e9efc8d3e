"""Adding a mode is one `ModeSpec`: a toy retrospective mode registered here shows up in the
session, the CLI, the chat's `/mode`, picker and form, and the eval scenario schema."""

from __future__ import annotations

import pytest
import typer
from pydantic import BaseModel, Field
from typer.testing import CliRunner
from uikit import SIZE, ready, settle

from companion.coaching import cli as coaching_cli
from companion.coaching import modes
from companion.coaching.modes import Build, FormField, ModeSpec
from companion.coaching.schemas import SourceRef
from companion.coaching.session import CoachingSession
from companion.evals.scenario import ScenarioError, load_scenario
from companion.llm.fake import ScriptedProvider
from companion.ui.screens.forms import StructuredForm
from companion.ui.screens.pickers import mode_picker
from companion.ui.widgets.chat import StructuredResult


class RetroInputs(BaseModel):
    team: str = Field(min_length=1, max_length=40)
    weeks: int = Field(default=2, ge=1, le=6)


class RetroPlan(BaseModel):
    team: str
    weeks: int
    questions: list[str]
    sources: list[SourceRef] = Field(default_factory=list)

    def to_markdown(self) -> str:
        return f"# Retro: {self.team}\n\n" + "\n".join(f"- {q}" for q in self.questions) + "\n"


def _build(inputs: RetroInputs, *, provider, knowledge, temperature, tier="tiny", on_part=None) -> Build:
    return Build(RetroPlan(team=inputs.team, weeks=inputs.weeks, questions=[
        f"What went well for {inputs.team} in the last {inputs.weeks} weeks?",
        "What would you change about how the team decides?",
    ]), fallbacks=0)


RETRO = ModeSpec(
    name="retro",
    label="Team retrospective",
    help="questions for a team retrospective",
    placeholder="Enter opens the retro form",
    order=9,
    aliases=("retrospective",),
    inputs=RetroInputs,
    output=RetroPlan,
    intro="Which team, and how many weeks to look back on?",
    fields=(FormField("team", "Team", main=True, help="The team."), FormField("weeks", "Weeks", kind="int")),
    scenario_required=("team",),
    command="retro",
    command_help="Questions for a team retrospective.",
    build=_build,
    questions=lambda data: list(data.get("questions", [])),
    from_text=lambda text: RetroInputs(team=text[:40]),
    summary=lambda inputs: f"Retro for {inputs.team}",
)


@pytest.fixture
def retro():
    modes.register(RETRO)
    yield RETRO
    modes.unregister("retro")


def test_the_session_builds_and_chats_in_the_new_mode(retro, settings, knowledge):
    session = CoachingSession(settings, provider=ScriptedProvider([]), knowledge=knowledge,
                              mode="retro")
    reply = session.run_structured("retro", {"team": "Platform", "weeks": 3})
    assert reply.mode == "retro" and reply.text.startswith("# Retro: Platform")
    assert reply.questions[0] == "What went well for Platform in the last 3 weeks?"
    assert reply.structured["weeks"] == 3
    chatted = session.respond("Payments")  # a message typed in the mode becomes its inputs
    assert chatted.structured["team"] == "Payments"
    assert session.respond("/mode retrospective").text.startswith("Modes:")  # names, not aliases
    assert "retro" in session.respond("/mode nothing").text


def test_the_cli_gets_a_command_with_the_model_limits(retro):
    app = typer.Typer()
    coaching_cli.register(app)
    runner = CliRunner()
    assert "retro" in runner.invoke(app, ["--help"]).output
    help_text = runner.invoke(app, ["retro", "--help"]).output
    assert "--team" in help_text and "--weeks" in help_text and "(1-6)" in help_text
    result = runner.invoke(app, ["retro", "--team", "Platform", "--weeks", "9"])
    assert result.exit_code == 2
    assert "weeks: Input should be less than or equal to 6" in result.output


@pytest.mark.anyio
async def test_the_chat_offers_the_mode_and_its_form(retro, make_app):
    assert ("retro", "Team retrospective — questions for a team retrospective") in \
        mode_picker("socratic").choices
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        chat = app.chat
        chat.prompt.insert("/mode retrospective")
        await pilot.press("enter")
        await pilot.pause()
        assert chat.mode == "retro" and isinstance(app.screen, StructuredForm)
        assert app.screen.query_one("#field-weeks").value == "2"  # the input model's default
        await pilot.press(*"Growth")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        result = chat.query_one(StructuredResult)
        assert result.reply.text.startswith("# Retro: Growth")
        assert result.border_title == "Team retrospective"


def _scenario(tmp_path, body: str):
    path = tmp_path / "retro.yaml"
    path.write_text("id: retro-one\nmode: retro\ndescription: A toy retro.\n" + body, "utf-8")
    return path


def test_scenarios_validate_the_new_modes_inputs(retro, tmp_path):
    ok = load_scenario(_scenario(tmp_path, "inputs: {team: Platform, weeks: 3}\nchecks: [no_advice]\n"))
    assert ok.mode == "retro" and ok.inputs.model_dump(exclude_none=True) == {"team": "Platform",
                                                                             "weeks": 3}
    with pytest.raises(ScenarioError) as err:
        load_scenario(_scenario(tmp_path, "inputs: {weeks: 9, person: Dana}\nchecks: [{check: sections, required: [Wins]}]\n"))
    text = str(err.value)
    assert "retro mode needs inputs.team" in text
    assert "inputs.weeks: Input should be less than or equal to 6" in text
    assert "inputs.person is not used in retro mode (it uses: team, weeks)" in text
    assert "check 'sections' does not apply to retro mode" in text


def test_an_unregistered_mode_is_refused_everywhere(tmp_path, settings):
    with pytest.raises(ScenarioError, match="mode: Input should be one of 'socratic'"):
        load_scenario(_scenario(tmp_path, "inputs: {team: Platform}\nchecks: [no_advice]\n"))
    with pytest.raises(Exception, match="unknown mode 'retro'"):
        CoachingSession(settings, mode="retro")
