"""``unspin check --index``: when the index holds the source, the alignment gives the spans and the
restoration exactly.

The report becomes an :class:`AttributedReport`, whose ``to_dict()`` is ``Report.to_dict()`` plus one
key, ``"source"``: ``{"id", "score"}`` of the source used, or ``null`` when the index holds none above
its threshold (then the report is the detector's, unchanged). Reports made without ``--index`` have
no ``"source"`` key, so the JSON contract is unchanged for them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unspin.attribute.align import substitutions
from unspin.attribute.index import Match, SourceIndex
from unspin.doc import Evidence, Span
from unspin.report import Report
from unspin.report.report import restore


@dataclass
class AttributedReport(Report):
    source: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "source": self.source}


def restore_from_source(report: Report, match: Match | None) -> AttributedReport:
    """``report`` with its spans and restoration taken from ``match``'s alignment (``report.text``
    must be the text that was aligned). Every difference from the source becomes a span whose
    suggestion is the source's text, with the match score as confidence; ``restored`` is then the
    source text over the extent of the spun text, exactly."""
    base = {k: getattr(report, k) for k in ("id", "spin_score", "verdict", "spans", "restored", "text")}
    base["warnings"] = list(report.warnings)
    if match is None:
        return AttributedReport(**base, source=None)
    spans = [Span(o["spun"][0], o["spun"][1], o["spun_text"], o["source_text"], match.score,
                  Evidence(relation=f"source {match.id}", source="attribution"))
             for o in substitutions(match.alignment)]
    base["spans"] = spans
    base["restored"] = restore(report.text, spans)
    if spans:
        base["verdict"] = "spun"
        base["spin_score"] = max(report.spin_score, match.score)
    base["warnings"].append(f"source found in the index: {match.id} (similarity {match.score:.2f}); "
                            f"{len(spans)} difference(s) from it marked and restored from its text")
    return AttributedReport(**base, source={"id": match.id, "score": round(match.score, 4)})


def attribute_report(report: Report, index: SourceIndex) -> AttributedReport:
    """Look ``report.text`` up in ``index`` and restore from the best source found, if any."""
    matches = index.find(report.text, k=1)
    return restore_from_source(report, matches[0] if matches else None)
