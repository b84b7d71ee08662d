"""The document model carried through every stage: text, tokens and spans over character offsets.

Why one model: each stage (tokenize -> candidates -> evidence -> decide -> report) adds to the same
``Doc`` instead of re-deriving positions, so offsets are computed once and can never drift.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Token:
    """A word or punctuation mark; ``start``/``end`` are Python string indices into ``Doc.text``."""

    text: str
    start: int
    end: int
    sentence: int = 0
    is_word: bool = True
    protected: str | None = None  # why it must never be flagged: "name", "number", "quote", ...

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(slots=True)
class Evidence:
    """Why a span was flagged; every figure a reviewer needs to check the decision."""

    lm_gain: float = 0.0  # log-probability (nats) gained by the suggestion in its context
    context_gain: float = 0.0  # the part of lm_gain not explained by word frequency alone
    zipf_written: float = 0.0
    zipf_suggestion: float = 0.0
    relation: str = ""  # lexicon relation between the suggestion and the written form
    n_candidates: int = 0
    neural_gain: float | None = None  # the neural model's log-probability gain (accurate profile)
    # How substituted the wording reads to the neural model's probe, as a probability (accurate
    # profile with a probe trained for its model; ``unspin.evidence.probe``)
    neural_probe: float | None = None
    source: str = "lexicon"  # "lexicon", "attribution" (aligned against a found source) or "style" (a figure
    # for a number word, unspin.decide.numbers: no language-model evidence)

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in
                ((n, getattr(self, n)) for n in self.__slots__)}


@dataclass(slots=True)
class Span:
    """A flagged substitution: ``text`` is written at ``[start, end)``; ``suggestion`` restores it."""

    start: int
    end: int
    text: str
    suggestion: str
    confidence: float
    evidence: Evidence = field(default_factory=Evidence)

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text,
                "suggestion": self.suggestion, "confidence": round(float(self.confidence), 4)}


@dataclass(slots=True)
class Doc:
    """One document as it moves through the pipeline."""

    text: str
    id: str = "-"
    tokens: list[Token] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    spin_score: float = 0.0
    warnings: list[str] = field(default_factory=list)
    language: str = "en"

    @property
    def words(self) -> list[Token]:
        return [t for t in self.tokens if t.is_word]
