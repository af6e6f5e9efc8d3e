"""Socratic mode: listen to what is new, reflect it, ask one question anchored on it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from pydantic import BaseModel

from companion.coaching import bank
from companion.coaching.guard import question_problems
from companion.coaching.listening import asking, retrieval
from companion.coaching.listening.grammar import grammar_problems
from companion.coaching.listening.nlp import parse
from companion.coaching.listening.reflections import (
    Reflection,
    Side,
    added_problems,
    double_sided,
    first_sentences,
    invented_names,
    program_reflection,
    reflection_problems,
    sides,
)
from companion.coaching.listening.state import ConversationState, update
from companion.coaching.listening.tiers import SLOTS, tier_for
from companion.coaching.prompts import load_prompt
from companion.coaching.reflect import topic
from companion.coaching.rules import advice_spans, analyse
from companion.llm.base import ChatMessage, LLMError, Provider

if TYPE_CHECKING:
    from companion.coaching.events import Event
    from companion.coaching.session import CoachingSession
    from companion.knowledge.models import Passage

_ADVICE_REQUEST = re.compile(
    r"^\s*/advice\b|\bwhat (?:would|should|do) (?:you|i) (?:do|suggest|recommend)\b|"
    r"\bwhat do you (?:suggest|recommend|think i should)\b|\b(?:any|your|some|give me(?: some)?) "
    r"(?:advice|recommendations?|suggestions?|ideas)\b|\btell me what to do\b|\bwhat(?:'s| is) your "
    r"(?:advice|recommendation|take|opinion)\b|\bjust tell me\b",
    re.IGNORECASE,
)
# "I don't know what to do": the coach may ask permission to offer ideas (MI), not advise.
_STUCK = re.compile(r"\b(?:don't|do not|no) (?:know|idea) (?:what|how) to\b|\bat a loss\b|\bi'm stuck\b",
                    re.IGNORECASE)
_YES = re.compile(r"^\s*(?:yes|yeah|yep|sure|please|ok(?:ay)?|go ahead|that would help)\b", re.IGNORECASE)
PERMISSION = "If a couple of ideas from the library would help here, I can share them."


def wants_advice(text: str) -> bool:
    """True when the user explicitly invites advice ("what would you do?", "/advice")."""
    return bool(_ADVICE_REQUEST.search(text))


class Drafted(BaseModel):
    """What the model writes in a listening turn (fields beyond its tier stay empty)."""

    against: str = ""
    reflection: str = ""
    anchor: str = ""
    question: str = ""


# The prompt's example reflections, which a small model copies ("you're the one who has to
# carry that news upward" after every kind of news).
_EXAMPLE = re.compile(r"(?:-> |^Reflection: )(.+)$", re.MULTILINE)
_EXAMPLE_ANCHORS = re.compile(r"^Anchors?: (.+)$", re.MULTILINE)
REFLECTION_OPENING = "(It sounds like you|It seems you|You|Part of you|On one hand,? you)"
NOTHING = "nothing"  # no earlier side pulls against what is new


def _schema(tier: str, stem: str, anchors: list[str], earlier: list[Side] | None = None, *,
            narrow: bool = False) -> dict[str, Any]:
    """One draft's JSON schema; `narrow`: its question is a stem's tail, whatever the tier."""
    slots = SLOTS[tier]
    props: dict[str, Any] = {}
    if slots["reflection"] and earlier:
        # Chosen first: which earlier thing the new fact pulls against is a reading of the whole
        # conversation, the judgement a wider tier is trusted with; the program says it.
        props["against"] = {"type": "string", "enum": [s.label for s in earlier] + [NOTHING]}
    if slots["reflection"]:
        # Opening on the person keeps a reflection from turning into an analysis of the situation
        # ("The deadline is a significant milestone ..."), which is what the 1.5B model wrote.
        props["reflection"] = {"type": "string",
                               # the space or apostrophe after "you": "It sounds like your
                               # co-founder is pulling ..." is about someone else (1.5B, 2026-12-05)
                               "pattern": f"^{REFLECTION_OPENING}[ ']{asking.TAIL}{{19,{slots['reflection']}}}[.]$"}
    props["anchor"] = {"type": "string", "enum": anchors}
    if slots["question"] == "tail" or narrow:
        props["question"] = {"type": "string",
                             "pattern": asking.tail_pattern(stem, anchors, slots.get("tail_chars", _RETRY_TAIL))}
    else:
        props["question"] = {"type": "string", "pattern": asking.whole_pattern(slots["question_chars"])}
    return {"type": "object", "properties": props, "required": list(props)}


_RETRY_TAIL = 90  # characters of a wider tier's tail on its second draft


def _task(tier: str, stem: str, said_back: str, earlier: list[Side] | None = None, *, narrow: bool = False) -> str:
    if tier == "tiny":
        return f'Pick one anchor, then finish the question. Question: {stem} ...'
    against = ""
    if earlier:
        listed = "; ".join(f'"{s.label}": {s.clause}' for s in earlier)
        # Here, not in the system prompt the tiny tier shares (and has cached).
        against = (f"Earlier they said: {listed}. In against, pick the earlier thing that what is new "
                   "pulls against, only when the two pull in different directions (a plan and a fact "
                   "that threatens it, one person's wish and another's limit, a promise and what stands "
                   f'in its way); when they simply add up, pick "{NOTHING}". ')
    # The program has said back what is new; the model's reflection adds what the program cannot
    # know: what it may mean to the person, or how it may feel.
    sentences = "two sentences" if tier == "large" else "one sentence"
    asking_ = (f"Then pick one anchor and finish the question in a few words. Question: {stem} ..." if narrow
               else "Then pick one anchor and write the question; it must contain the anchor.")
    return (f'{against}The coach has already said: "{said_back}" Write the reflection: {sentences} '
            "that go further, what this may mean to them or how it may feel, said tentatively, with "
            f"no new facts. {asking_}")


def _anchor_of(question: str, anchors: list[str], picked: str) -> str | None:
    """The anchor the question is built on (all its content words are in the question): the
    picked one if it is, else the first that is."""
    from companion.coaching.listening.words import content_lemmas

    doc = parse(question)
    have = {t.lemma_.lower() for t in doc} | {t.lower_ for t in doc}
    for anchor in [picked, *anchors]:
        if not anchor:
            continue
        need = content_lemmas(parse(anchor)) or {t.lower_ for t in parse(anchor) if t.is_alpha}
        if need and need <= have:
            return anchor
    return None


def question_problems_for(question: str, anchor: str | None, *, state: ConversationState, asked: list[str],
                          stem: str = "", example_anchors: tuple[str, ...] = (),
                          user_turns: tuple[str, ...] = ()) -> list[str]:
    """The existing guard, the anchor rule, the grammar check and the invented-fact check together."""
    user_text = state.latest
    problems = question_problems(question, user_text=user_text, stem=stem)
    said = " ".join(user_turns or (user_text,)).lower()
    copied = [a for a in example_anchors if a.lower() in question.lower()
              and re.sub(r"^(?:your|the|a|an) ", "", a.lower()) not in said]  # "my designer" is theirs
    if copied:
        # qwen2.5-0.5b, 2026-12-05: "How might he feel about the offsite matter so much to you
        # right now?", the prompt's example for another situation
        problems.append(f"copies an example of the prompt ({copied[0]})")
    if anchor is None:
        problems.append("does not contain an anchor")
    problems += grammar_problems(question, user_text)
    names = [t.text for t in parse(question) if t.pos_ == "PROPN"]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice or (anchor and question.lower().count(anchor.lower()) > 1):
        # qwen2.5-0.5b, 2026-12-05: "How would Helga feel about the new manager, Helga?"
        problems.append(f"says the same thing twice ({', '.join(twice) or anchor})")
    if question in asked:
        problems.append("already asked")
    if asking.echoes(question, user_text, anchor):
        problems.append("repeats the PM's words")
    made_up = invented_names(question, state)
    if made_up:  # a whole question may invent as a reflection may: "delayed by two weeks"
        problems.append(f"names what the PM never said ({', '.join(made_up)})")
    return problems + asking.wandering(question, state)


class ListeningTurn(TypedDict):
    """What `listening_turn` wrote, who wrote each part, and why (the coverage panel shows it)."""

    type: str
    why: str
    anchors: list[str]
    tier: str
    regenerated: int
    fallback: bool
    reflection_by: str
    question_by: str
    problems: list[str]
    refused: list[dict[str, Any]]
    """The model's drafts the guard refused, with why: what the benchmark's guard check reads."""
    model_s: float
    question: NotRequired[str]
    anchor: NotRequired[str | None]
    reflection: NotRequired[str]
    reflection_kind: NotRequired[str]
    question_type: NotRequired[str]
    against: NotRequired[str]
    """The earlier thing the model read the new fact as pulling against (wider tiers)."""


def listening_turn(
    provider: Provider,
    state: ConversationState,
    *,
    tier: str,
    user_turns: list[str],
    covered: list[str],
    asked: list[str],
    passages_block: str,
    history_block: str,
    temperature: float,
) -> ListeningTurn:
    """The reflection, the question and why: what the model wrote where it passed, the program's
    own words where it did not."""
    qtype, why, anchors = asking.choose_type(state, covered)
    prompt = load_prompt("socratic-listening")
    examples = tuple(_EXAMPLE.findall(prompt.system))
    example_anchors = tuple(a.strip() for line in _EXAMPLE_ANCHORS.findall(prompt.system) for a in line.split("|"))
    new = "; ".join(f.text for f in state.new_facts()[:5]) or ", ".join(state.anchors[:3]) or state.latest[:200]
    stems = asking.TYPES[qtype]["stems"]
    result: ListeningTurn = {"type": qtype, "why": why, "anchors": anchors, "tier": tier, "regenerated": 0,
              "fallback": False, "reflection_by": "program", "question_by": "program",
              "problems": [], "refused": [], "model_s": 0.0}
    fact_anchors = [f.anchor for f in state.new_facts() if f.anchor]
    said_back = program_reflection(state, user_turns)
    if advice_spans(said_back.text):
        # The PM's own "I should..." said back would read as our advice.
        said_back = Reflection(text=f"So {topic(state.latest)} is on your mind.", kind="simple")
    earlier: list[Side] = []
    latest: Side | None = None
    if SLOTS[tier]["reflection"] and not said_back.text.startswith("On one hand"):
        earlier, latest = sides(user_turns, skip={i for i, t in enumerate(user_turns) if wants_advice(t)})
        earlier = earlier if latest is not None else []
    base = said_back  # the program's sentence, or the two sides the model saw pulling apart
    drafted_reflection: str | None = None
    question: str | None = None
    anchor: str | None = None
    budget = SLOTS[tier].get("regenerate_within_s")
    for attempt in range(2):  # one try, one regeneration
        if attempt and budget is not None and result["model_s"] > budget:
            break  # a second draft would take the turn past 5 s: the program's question is ready now
        stem = stems[(state.turns + attempt) % len(stems)][0]
        # A wider tier whose whole question was refused (most often for wandering off the PM's
        # words) finishes a stem on its second draft, as the tiny tier does on its first: the
        # program's own stem-and-anchor question is the last resort, not the second.
        narrow = attempt > 0 and SLOTS[tier]["question"] == "whole"
        system, user = prompt.render(
            passages=passages_block, history=history_block, new=new, type_name=qtype,
            type_hint=asking.TYPES[qtype]["hint"], anchors=" | ".join(anchors),
            task=_task(tier, stem, said_back.text, earlier, narrow=narrow),
        )
        messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
        called = time.monotonic()
        try:
            got = provider.structured(
                messages, Drafted, json_schema=_schema(tier, stem, anchors, earlier, narrow=narrow),
                temperature=temperature if attempt == 0 else min(1.0, temperature + 0.4),
                max_tokens=SLOTS[tier]["max_tokens"],
            )
        except LLMError as exc:
            if exc.kind != "bad_response":
                raise
            result["problems"].append("malformed output")
            result["regenerated"] += 1
            result["model_s"] += time.monotonic() - called
            continue
        result["model_s"] += time.monotonic() - called
        text = " ".join(got.question.split())
        found = _anchor_of(text, [*anchors, *state.anchors, *fact_anchors], got.anchor)
        problems = question_problems_for(text, found, state=state, asked=asked,
                                         stem=stem if tier == "tiny" or narrow else "",
                                         example_anchors=example_anchors, user_turns=tuple(user_turns))
        picked = next((s for s in earlier if s.label == got.against), None)
        if picked is not None and latest is not None and base is said_back and drafted_reflection is None:
            both = double_sided(picked, latest, user_turns)
            if both is not None and not advice_spans(both.text):
                base = both
                result["against"] = picked.label
        if SLOTS[tier]["reflection"] and got.reflection and drafted_reflection is None:
            # After the program's sentence the large tier may add two (meaning, then feeling);
            # the small tier keeps the first, where a small model has not yet drifted.
            for drafted in dict.fromkeys(first_sentences(got.reflection, SLOTS[tier]["reflections"])):
                r_problems = reflection_problems(drafted, state, user_turns) or \
                    added_problems(drafted, base.text, state, user_turns, examples)
                if not r_problems:
                    drafted_reflection = drafted
                    break
            else:
                result["problems"] += [f"reflection: {p}" for p in r_problems]
                result["refused"].append({"part": "reflection", "text": got.reflection, "problems": r_problems})
        if not problems:
            question, anchor = text, found
            result["question_by"] = "model"
            break
        result["problems"] += problems
        result["refused"].append({"part": "question", "text": text, "problems": problems})
        result["regenerated"] += 1
    if question is None:
        result["fallback"] = True
        question = asking.fallback_question(qtype, anchors, asked)
        if grammar_problems(question, state.latest) or advice_spans(question):
            question = _bank_question(state.latest, qtype, asked)
        anchor = _anchor_of(question, anchors, "")
        result["regenerated"] = max(0, result["regenerated"] - 1)
    reflection = base
    if base is not said_back:
        result["reflection_by"] = "program+model"  # the model chose the two sides, the program said them
    if drafted_reflection:  # a wider tier goes further than the program: MITI's 2:1, complex
        opening = "It sounds like you"
        if base.text.startswith("It sounds like") and drafted_reflection.startswith(opening):
            rest = drafted_reflection[len(opening):]
            if not re.match(r"\s+(?:may|might|could|perhaps|maybe)\b", rest):  # not "Maybe you may"
                drafted_reflection = "Maybe you" + rest
        reflection = Reflection(text=f"{base.text} {drafted_reflection}", kind="complex", fact=base.fact)
        result["reflection_by"] = "program+model"
    result.update({"question": question, "anchor": anchor, "reflection": reflection.text,
                   "reflection_kind": reflection.kind,
                   # the program's own question is of the type it chose; the analyser reads a
                   # model's ("How might Priya see this?" read as clarity, and the next turn
                   # asked for viewpoints again)
                   "question_type": qtype if result["question_by"] == "program"
                   else analyse(question).socratic_type or qtype})
    return result


def _bank_question(message: str, qtype: str, asked: list[str]) -> str:
    templates = bank.load_bank()["socratic"][qtype]
    filled = [bank.fill(t, topic=topic(message)) for t in templates]
    return bank.pick(filled, message + qtype, avoid=set(asked))


def compose(reflection_text: str, questions: list[str]) -> str:
    parts = [reflection_text] if reflection_text else []
    parts += [f"**{q}**" for q in questions]
    return "\n\n".join(parts)


def socratic_turn(
    session: CoachingSession, text: str, cancel: threading.Event | None
) -> Iterator[Event]:
    """One Socratic turn of `session`: state, retrieval, reflection, question (or advice)."""
    from companion.coaching.schemas import Reply
    from companion.coaching.session import Done, Status, Token, _ref, _sources_footer
    from companion.knowledge.models import format_passages

    started = time.monotonic()
    user_turns = [t["content"] for t in session.history if t["role"] == "user"] + [text]
    state = update(session.state, text)
    session.state = state
    tier = session.tier
    yield Status("looking through your notes and the library…")
    invited = wants_advice(text) or (session.offered_advice and bool(_YES.match(text)))
    passages = session.retrieve(retrieval.conversation_query(state, user_turns))
    situation = [t for t in user_turns if not wants_advice(t) and not _YES.match(t)]
    if invited and situation:
        # Advice draws on the whole situation as well as the last turns: both searches, the
        # closest first (the last turns alone missed "Ines just resigned" two messages back;
        # the whole situation alone missed the decision article the last turns found).
        passages = retrieval.merged(passages, session.retrieve(retrieval.advice_query(situation)))
    usable = retrieval.relevant(passages, state, whole_conversation=invited)
    if cancel is not None and cancel.is_set():
        yield Done(session._cancelled("", passages, started))
        return
    if invited:
        session.offered_advice = False
        yield from advice_turn(session, state, passages, usable, started, cancel, user_turns)
        return
    yield Status("thinking of a question…")
    assert session.provider is not None  # send() prepared the session: the model is loaded
    turn = listening_turn(
        session.provider, state, tier=tier, user_turns=user_turns, covered=session.covered,
        asked=session.asked,
        # The tiny tier reads the program's summary of what is new instead of the whole history:
        # a shorter prompt is most of its latency.
        passages_block=(format_passages(usable[: 1 if tier == "tiny" else 2],
                                        max_chars=400 if tier == "tiny" else 700) if usable else ""),
        history_block="" if tier == "tiny" else session._history_block(),
        temperature=session.settings.temperature,
    )
    reflection, question = turn["reflection"], turn["question"]
    yield Token(reflection + "\n\n")
    if cancel is not None and cancel.is_set():
        yield Done(session._cancelled(reflection, passages, started))
        return
    cited = [_ref(p) for p in usable[:2]]
    body = compose(reflection, [question])
    if _STUCK.search(text):
        session.offered_advice = True
        body += "\n\n" + PERMISSION
    footer = _sources_footer(cited)
    yield Token(body[len(reflection) + 2:] + footer)
    session.covered.append(turn["question_type"])
    session.asked.append(question)
    reply = Reply(
        mode="socratic", text=body + footer, questions=[question], socratic_types=[turn["question_type"]],
        sources=[_ref(p) for p in passages], cited=cited, regenerated=turn["regenerated"],
        fallback=turn["fallback"], latency_s=round(time.monotonic() - started, 3),
        tokens=session._count(question), model=session.model_name,
        listening=_panel(state, turn),
    )
    session._remember(text, reply)
    yield Done(reply)


def _panel(state: ConversationState, turn: ListeningTurn | None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = state.panel()
    if turn:
        data.update({k: turn[k] for k in ("type", "why", "anchor", "anchors", "tier", "reflection_kind",
                                          "reflection_by", "question_by", "problems", "refused", "against")
                     if k in turn})
        if "against" in turn:  # the coverage panel says why the reflection holds two sides
            data["why"] = f"{data['why']}; the news pulls against {turn['against']}"
        data["model_s"] = round(turn["model_s"], 3)
    data.update(extra)
    return data


def advice_turn(
    session: CoachingSession,
    state: ConversationState,
    passages: list[Passage],
    usable: list[Passage],
    started: float,
    cancel: threading.Event | None,
    user_turns: list[str],
) -> Iterator[Event]:
    from companion.coaching.advice import advise
    from companion.coaching.listening.reflections import summary_reflection
    from companion.coaching.schemas import Reply
    from companion.coaching.session import Done, Status, Token, _ref, _sources_footer

    yield Status("you asked for ideas: drafting them from what you said and the library…")
    assert session.provider is not None  # send() prepared the session: the model is loaded
    advice = advise(session.provider, state, usable, temperature=session.settings.temperature)
    if cancel is not None and cancel.is_set():
        yield Done(session._cancelled("", passages, started))
        return
    # MI's order: show you heard the situation, then offer. The summary is the program's own.
    heard = summary_reflection(state, user_turns)
    lines = ([heard, ""] if heard else []) + [advice.preface, ""] + [
        f"{i}. {p}" for i, p in enumerate(advice.points, 1)]
    body = "\n".join(lines).strip()
    if advice.closing:
        body += f"\n\n**{advice.closing}**"
    footer = _sources_footer(advice.cited)
    yield Token(body + footer)
    reply = Reply(
        mode="socratic", text=body + footer, questions=[advice.closing] if advice.closing else [],
        sources=[_ref(p) for p in passages], cited=advice.cited, advice=True,
        fallback=advice.fallback, latency_s=round(time.monotonic() - started, 3),
        tokens=session._count(body), model=session.model_name,
        listening=_panel(state, None, tier=tier_for(session.model_name, session.settings),
                         advice_facts=advice.facts),
    )
    session._remember(state.latest, reply)
    yield Done(reply)


__all__ = ["compose", "listening_turn", "socratic_turn", "wants_advice"]
