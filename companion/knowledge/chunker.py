"""Heading-aware chunking with exact source line ranges.

A small heading walk of our own rather than langchain's splitters, because every chunk must
know the exact lines it came from (citations) and its heading breadcrumb:

1. body lines -> blocks (paragraphs, list runs, whole code fences); a heading starts a block
   and is glued to the block after it;
2. blocks larger than the budget -> lines -> word pieces (a huge single "word" -> slices);
3. units are packed greedily up to `max_tokens`; `#`/`##` headings always start a new chunk,
   deeper headings do once the chunk has `min_tokens`; chunks continuing the same section
   repeat up to `overlap_tokens` of the previous chunk's tail.

Everything is iterative (no recursion), so deep nesting cannot blow the stack.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from companion.knowledge.loader import _in_fence_flags, heading_of
from companion.knowledge.models import BREADCRUMB_SEP

MAX_TOKENS = 220
"""Chunk budget. MiniLM reads 256 tokens; the title/heading prefix and [CLS]/[SEP] need room."""
OVERLAP_TOKENS = 32
MIN_TOKENS = 60
SPLIT_LEVEL = 2
_HEADING_CAP = 80  # characters of one heading kept in a breadcrumb

_TOKENISH = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")
_WS_RUN = re.compile(r"[ \t]{9,}")

TokenCounter = Callable[[str], int]


def estimate_tokens(text: str) -> int:
    """WordPiece-like estimate without a tokenizer: a word is 1 token per ~6 letters, every
    punctuation mark or non-ASCII character is one. Errs on the high side for English."""
    n = 0
    for m in _TOKENISH.finditer(text):
        s = m.group(0)
        n += 1 + (len(s) - 1) // 6 if s[0].isascii() and s[0].isalnum() else 1
    return n


@dataclass
class Chunk:
    index: int
    text: str
    heading: str
    line_start: int
    """1-based, inclusive."""
    line_end: int
    tokens: int


@dataclass
class _Unit:
    start: int  # 0-based line index
    end: int  # 0-based, inclusive
    text: str
    tokens: int
    crumbs: tuple[str, ...]
    level: int  # heading level if the unit starts a section, else 0
    block: int  # block number (units of one block join with a newline)
    piece_of_line: bool = False  # a word-piece of a long line (joins with a space)
    heading_only: bool = False  # just a heading line, no text under it yet


def _clean(line: str) -> str:
    stripped = line.lstrip(" \t")
    indent = min(len(line) - len(stripped), 16)
    return (" " * indent + _WS_RUN.sub("    ", stripped)).rstrip()


def _blocks(lines: list[str], start: int) -> list[tuple[int, int, int, tuple[str, ...]]]:
    """(first, last, heading_level, breadcrumb) for each block of the body."""
    fences = _in_fence_flags(lines, start)
    # Each block is [first, last, heading_level, breadcrumb], mutable while the block grows.
    blocks: list[list[Any]] = []
    stack: list[tuple[int, str]] = []
    cur: list[Any] | None = None
    i = start
    n = len(lines)
    while i < n:
        line = lines[i]
        h = None if fences[i] else heading_of(line)
        if h is not None:
            level, text = h
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, (text or "").strip()[:_HEADING_CAP]))
            crumbs = tuple(t for _, t in stack if t)
            cur = [i, i, level, crumbs]
            blocks.append(cur)
            i += 1
            continue
        if not line.strip() and not fences[i]:
            if cur is not None and cur[2] and cur[1] == cur[0]:
                # A heading followed by a blank line: keep the heading open for the next block.
                pass
            else:
                cur = None
            i += 1
            continue
        if cur is None:
            cur = [i, i, 0, tuple(t for _, t in stack if t)]
            blocks.append(cur)
        else:
            cur[1] = i
        i += 1
    return [(b[0], b[1], b[2], b[3]) for b in blocks]


def _slices(word: str, max_tokens: int, count: TokenCounter) -> list[str]:
    """Cut one over-long word into pieces that each fit the budget."""
    out: list[str] = []
    rest = word
    while rest:
        size = max(1, min(len(rest), max_tokens * 2))
        while size > 1 and count(rest[:size]) > max_tokens:
            size //= 2
        out.append(rest[:size])
        rest = rest[size:]
    return out


def _pieces(text: str, max_tokens: int, count: TokenCounter) -> list[tuple[str, int]]:
    """Split one long line into word pieces of at most `max_tokens`."""
    pieces: list[tuple[str, int]] = []
    cur: list[str] = []
    cur_tokens = 0
    for word in text.split():
        wt = count(word)
        parts = (
            [(word, wt)]
            if wt <= max_tokens
            else [(s, count(s)) for s in _slices(word, max_tokens, count)]
        )
        for part, pt in parts:
            if cur and cur_tokens + pt > max_tokens:
                pieces.append((" ".join(cur), cur_tokens))
                cur, cur_tokens = [], 0
            cur.append(part)
            cur_tokens += pt
    if cur:
        pieces.append((" ".join(cur), cur_tokens))
    return pieces


def _units(lines: list[str], start: int, max_tokens: int, count: TokenCounter) -> list[_Unit]:
    units: list[_Unit] = []
    for b, (first, last, level, crumbs) in enumerate(_blocks(lines, start)):
        cleaned = [_clean(lines[i]) for i in range(first, last + 1)]
        text = "\n".join(cleaned).strip("\n")
        tokens = count(text)
        if tokens <= max_tokens:
            if text.strip():
                only = level > 0 and first == last
                units.append(_Unit(first, last, text, tokens, crumbs, level, b, heading_only=only))
            continue
        first_unit = True
        for offset, line in enumerate(cleaned):
            if not line.strip():
                continue
            i = first + offset
            lt = count(line)
            lvl = level if first_unit else 0
            if lt <= max_tokens:
                units.append(_Unit(i, i, line, lt, crumbs, lvl, b))
                first_unit = False
                continue
            for piece, pt in _pieces(line, max_tokens, count):
                units.append(_Unit(i, i, piece, pt, crumbs, lvl, b, piece_of_line=True))
                lvl = 0
                first_unit = False
    return units


def _join(units: list[_Unit]) -> str:
    out = [units[0].text]
    for prev, u in zip(units, units[1:], strict=False):
        if u.block != prev.block:
            sep = "\n\n"
        elif u.start == prev.end and u.piece_of_line and prev.piece_of_line:
            sep = " "
        else:
            sep = "\n"
        out.append(sep)
        out.append(u.text)
    return "".join(out)


def _breadcrumb(units: list[_Unit]) -> str:
    # Headings with no text of their own (a title right above a section) do not widen it.
    units = [u for u in units if not u.heading_only] or units
    common = list(units[0].crumbs)
    for u in units[1:]:
        n = 0
        while n < len(common) and n < len(u.crumbs) and common[n] == u.crumbs[n]:
            n += 1
        del common[n:]
        if not common:
            break
    return BREADCRUMB_SEP.join(common)


def chunk_lines(
    lines: list[str],
    start: int = 0,
    *,
    max_tokens: int = MAX_TOKENS,
    overlap_tokens: int = OVERLAP_TOKENS,
    min_tokens: int = MIN_TOKENS,
    split_level: int = SPLIT_LEVEL,
    count_tokens: TokenCounter | None = None,
) -> list[Chunk]:
    """Chunk `lines[start:]` (line numbers in the result are 1-based indexes into `lines`)."""
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    count = count_tokens or estimate_tokens
    overlap_tokens = max(0, min(overlap_tokens, max_tokens // 2))
    units = _units(lines, start, max_tokens, count)
    groups: list[list[_Unit]] = []
    cur: list[_Unit] = []
    cur_tokens = 0
    for u in units:
        if cur:
            boundary = u.level > 0 and (u.level <= split_level or cur_tokens >= min_tokens)
            if boundary and all(x.heading_only for x in cur):
                boundary = False  # a heading with nothing under it stays with what follows
            if boundary or cur_tokens + u.tokens > max_tokens:
                groups.append(cur)
                tail: list[_Unit] = []
                if not boundary and overlap_tokens:
                    budget = min(overlap_tokens, max_tokens - u.tokens)
                    used = 0
                    for prev in reversed(cur):
                        if prev.crumbs != u.crumbs or used + prev.tokens > budget:
                            break
                        tail.insert(0, prev)
                        used += prev.tokens
                    if len(tail) == len(cur):
                        tail = tail[1:]  # never repeat a whole chunk
                cur = tail
                cur_tokens = sum(t.tokens for t in tail)
        cur.append(u)
        cur_tokens += u.tokens
    if cur:
        groups.append(cur)
    return [
        Chunk(
            index=n,
            text=_join(g),
            heading=_breadcrumb(g),
            line_start=g[0].start + 1,
            line_end=max(x.end for x in g) + 1,
            tokens=sum(x.tokens for x in g),
        )
        for n, g in enumerate(groups)
    ]
