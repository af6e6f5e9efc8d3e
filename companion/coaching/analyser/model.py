"""Load the shipped analyser model and predict one utterance at a time, fast.

The file holds fitted scikit-learn pipelines (TF-IDF views into logistic regression). Calling
``Pipeline.predict`` on one text costs milliseconds of input checking per head, so ``Heads``
computes the same numbers directly: each view's n-grams (from the fitted vectorisers' own
analysers, computed once per text and view), sublinear TF times IDF, L2 norm per view, then the
linear scores. ``tests/coaching/test_analyser.py`` checks it agrees with ``Pipeline.predict``.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from companion.coaching.analyser.features import SEP, question_part
from companion.errors import CompanionError

MODEL_NAME = "analyser.joblib"
# Which text each head reads: the whole utterance, or only its asking sentences.
VIEWS: dict[str, Callable[[str], str]] = {"open_closed": question_part}


_SUBLINEAR = [0.0] + [1.0 + math.log(c) for c in range(1, 64)]

NgramCache = dict[tuple[tuple[Any, ...], str], Counter[str]]
"""(view key, text) -> the view's n-gram counts: the heads of one utterance share them."""


class AnalyserModelError(CompanionError):
    """The learned analyser's model file is missing or was written by another scikit-learn."""


def default_model_path() -> Path:
    return Path(str(resources.files("companion.coaching.analyser").joinpath(MODEL_NAME)))


@dataclass
class _View:
    key: tuple[Any, ...]  # the analyser's settings: equal keys give equal n-grams for equal text
    analyse: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int


@dataclass
class _Head:
    classes: list[str]
    views: list[_View]
    coef: np.ndarray  # (n_classes or 1, n_features)
    intercept: np.ndarray
    text_view: Callable[[str], str] | None

    def scores(self, text: str, cache: NgramCache) -> np.ndarray:
        text = self.text_view(text) if self.text_view else text
        total = self.intercept.copy()
        for view in self.views:
            ck = (view.key, text)
            counts = cache.get(ck)
            if counts is None:
                counts = cache[ck] = Counter(view.analyse(text))
            vocabulary = view.vocabulary
            found = [(vocabulary[t], c) for t, c in counts.items() if t in vocabulary]
            if not found:
                continue
            idx = np.array([i for i, _ in found], dtype=np.int64)
            vals = np.array([_SUBLINEAR[c] if c < 64 else 1.0 + math.log(c) for _, c in found])
            vals *= view.idf[idx]
            vals /= math.sqrt(float(vals @ vals))
            total += self.coef[:, view.offset + idx] @ vals
        return total

    def proba(self, text: str, cache: NgramCache) -> dict[str, float]:
        s = self.scores(text, cache)
        if len(self.classes) == 2:
            p1 = 1.0 / (1.0 + math.exp(-float(s[0])))
            return {self.classes[0]: 1.0 - p1, self.classes[1]: p1}
        e = np.exp(s - s.max())
        e /= e.sum()
        return dict(zip(self.classes, map(float, e), strict=True))

    def predict(self, text: str, cache: NgramCache) -> str:
        p = self.proba(text, cache)
        return max(p, key=p.__getitem__)


def _vectoriser_key(vec: Any) -> tuple[Any, ...]:
    return (vec.analyzer, vec.ngram_range, vec.lowercase, vec.token_pattern,
            getattr(vec.preprocessor, "__name__", None), getattr(vec.tokenizer, "__name__", None))


def _compile(name: str, pipeline: Any) -> _Head:
    union = pipeline.named_steps["features"]
    clf = pipeline.named_steps["clf"]
    views, offset = [], 0
    for _, vec in union.transformer_list:
        views.append(_View(_vectoriser_key(vec), vec.build_analyzer(), dict(vec.vocabulary_),
                           np.asarray(vec.idf_, dtype=np.float64), offset))
        offset += len(vec.vocabulary_)
    return _Head([str(c) for c in clf.classes_], views, np.asarray(clf.coef_, dtype=np.float64),
                 np.asarray(clf.intercept_, dtype=np.float64), VIEWS.get(name))


class Heads:
    """The fitted heads, ready to predict: ``heads.predict("form", text)``."""

    def __init__(
        self,
        pipelines: dict[str, Any],
        info: dict[str, Any] | None = None,
        context_heads: tuple[str, ...] = (),
    ):
        self.pipelines = pipelines
        self.info = info or {}
        self.context_heads = tuple(context_heads)
        self._heads = {name: _compile(name, p) for name, p in pipelines.items()}

    def view(self, head: str, text: str, previous: str | None = None) -> str:
        """The string the head's pipeline reads: a context head also gets the turn before."""
        if head in self.context_heads:
            return text + SEP + (previous or "")
        view = VIEWS.get(head)
        return view(text) if view else text

    @property
    def names(self) -> list[str]:
        return list(self._heads)

    def predict(
        self, head: str, text: str, cache: NgramCache | None = None, previous: str | None = None
    ) -> str:
        return self._heads[head].predict(self._input(head, text, previous), {} if cache is None else cache)

    def proba(
        self, head: str, text: str, cache: NgramCache | None = None, previous: str | None = None
    ) -> dict[str, float]:
        return self._heads[head].proba(self._input(head, text, previous), {} if cache is None else cache)

    def _input(self, head: str, text: str, previous: str | None) -> str:
        # The per-head text view (question_part) is applied inside _Head.scores.
        return text + SEP + (previous or "") if head in self.context_heads else text


def load(path: str | Path | None = None) -> Heads:
    """Read a model file and its provenance JSON; a clear error when either is unusable."""
    import sklearn

    path = Path(path) if path is not None else default_model_path()
    if not path.is_file():
        raise AnalyserModelError(
            f"the learned analyser's model file is missing ({path}); rebuild it with "
            "`companion analyser train --data DIR` (the rule analyser, companion.coaching.rules, "
            "needs no model)"
        )
    import joblib

    bundle = joblib.load(path)
    trained_with = str(bundle.get("sklearn", "?"))
    if trained_with.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        raise AnalyserModelError(
            f"{path} was trained with scikit-learn {trained_with}, this is {sklearn.__version__}; "
            "install the pinned version or rebuild with `companion analyser train --data DIR`"
        )
    info_path = path.with_suffix(".json")
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    return Heads(bundle["heads"], info, tuple(bundle.get("context_heads", ())))


@functools.cache
def shipped() -> Heads:
    """The model inside the package, loaded once per process."""
    return load()
