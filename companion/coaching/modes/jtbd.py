"""JTBD interview guide mode: the inputs it asks for and how the session builds it."""

from __future__ import annotations

from typing import Any

from companion.coaching.modes import FormField, ModeSpec, bounds, builder
from companion.coaching.schemas import InterviewGuide, JTBDInputs


def _questions(data: dict[str, Any]) -> list[str]:
    qs: list[str] = [*data.get("warm_up", []), *data.get("screener", [])]
    for block in (*data.get("timeline", []), *data.get("forces", [])):
        qs.extend(block.get("questions", []))
    qs.extend(data.get("wrap_up", []))
    return [str(q) for q in qs]


def _probes(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The timeline and forces probes: what the model is asked to write (warm-up, screener
    and wrap-up are the program's script)."""
    out: list[tuple[str, str]] = []
    for block in (*data.get("timeline", []), *data.get("forces", [])):
        origins = list(block.get("origins") or [])
        for i, q in enumerate(block.get("questions", [])):
            out.append((str(q), str(origins[i]) if i < len(origins) else "bank"))
    return out


def _from_text(text: str) -> JTBDInputs:
    _, _, longest = bounds(JTBDInputs, "product")
    return JTBDInputs(product=text[:longest])


def _summary(inputs: JTBDInputs) -> str:
    line = f"JTBD interview guide for {inputs.product}"
    return line + (f" (switch: {inputs.switch})" if inputs.switch else "")


MODE = ModeSpec(
    name="jtbd",
    label="JTBD interview guide",
    help="switch timeline and four-forces probes",
    placeholder="Enter opens the JTBD guide form; what you type here becomes the product",
    order=2,
    aliases=("interview", "guide"),
    prompts=("jtbd-probes",),
    bank="jtbd",
    inputs=JTBDInputs,
    output=InterviewGuide,
    intro="A switch interview guide: timeline and the four forces, with probes.",
    fields=(
        FormField("product", "Product", placeholder="e.g. our invoicing app", main=True,
                  help="The product whose switch you study."),
        FormField("switch", "The switch (optional)", placeholder="from spreadsheets to us",
                  help="What customers hired / fired."),
        FormField("interviewee", "Interviewee"),
    ),
    scenario_required=("product", "switch"),
    command="jtbd",
    command_help="Draft a jobs-to-be-done switch interview guide.",
    build=builder("companion.coaching.jtbd:build_guide"),
    questions=_questions,
    probes=_probes,
    from_text=_from_text,
    summary=_summary,
)
