"""The report a user gets for one document, and its renderings.

``Report.to_dict()`` is the JSON contract other tools build against; keep its keys exactly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from unspin.doc import Doc, Span


@dataclass
class Report:
    id: str
    spin_score: float
    verdict: str  # "spun" | "clean"
    spans: list[Span]
    restored: str
    text: str = field(repr=False, default="")
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_doc(cls, doc: Doc, threshold: float) -> "Report":
        return cls(id=doc.id, spin_score=float(doc.spin_score),
                   verdict="spun" if doc.spin_score >= threshold else "clean",
                   spans=list(doc.spans), restored=restore(doc.text, doc.spans), text=doc.text,
                   warnings=list(doc.warnings))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "spin_score": round(self.spin_score, 4), "verdict": self.verdict,
                "spans": [s.to_dict() for s in self.spans], "restored": self.restored}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    def explain(self) -> list[dict[str, Any]]:
        """Every flagged span with its evidence, for reviewers."""
        return [{**s.to_dict(), "evidence": s.evidence.to_dict()} for s in self.spans]


def restore(text: str, spans: list[Span]) -> str:
    """``text`` with every span replaced by its suggestion (spans must not overlap)."""
    out, pos = [], 0
    for s in sorted(spans, key=lambda s: s.start):
        out.append(text[pos:s.start])
        out.append(s.suggestion)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def render_text(report: Report, color: bool = False) -> str:
    """A terminal report: verdict, the text with flagged spans marked, the evidence, the restoration."""
    red, green, dim, bold, reset = (("\x1b[1;31m", "\x1b[32m", "\x1b[2m", "\x1b[1m", "\x1b[0m") if color
                                    else ("", "", "", "", ""))
    lines = [f"{bold}{report.id}{reset}: {report.verdict.upper()}  spin score {report.spin_score:.2f}  "
             f"({len(report.spans)} substitution{'s' if len(report.spans) != 1 else ''} flagged)"]
    for w in report.warnings:
        lines.append(f"  warning: {w}")
    if report.spans:
        marked, pos = [], 0
        for s in report.spans:
            marked.append(report.text[pos:s.start])
            if color:
                marked.append(f"{red}{s.text}{reset}{dim}[{reset}{green}{s.suggestion}{reset}{dim}]{reset}")
            else:
                marked.append(f"[{s.text} -> {s.suggestion}]")
            pos = s.end
        marked.append(report.text[pos:])
        lines += ["", "Flagged in the text:", "".join(marked).strip(), "", "Substitutions:"]
        for s in report.spans:
            ev = s.evidence
            why = (f"{ev.relation}: prose spells out one to nine" if ev.source == "style" else
                   f"LM gain {ev.lm_gain:+.1f} nats" + (f", neural {ev.neural_gain:+.1f}" if ev.neural_gain is not None else "")
                   + (f", reads substituted {ev.neural_probe:.2f}" if ev.neural_probe is not None else "")
                   + f", {ev.relation or 'lexicon'}")
            lines.append(f"  {s.start:>6}-{s.end:<6} {s.text!r} -> {s.suggestion!r}  confidence {s.confidence:.2f}  ({why})")
        lines += ["", "Restored:", report.restored.strip()]
    return "\n".join(lines)
