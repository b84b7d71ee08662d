"""A datatrove filter: drop or tag spun documents in one line of a curation pipeline.

>>> from unspin.integrations import UnspinFilter
>>> pipeline = [JsonlReader("crawl/"), UnspinFilter(action="drop"), JsonlWriter("clean/")]

Each document's report goes into ``doc.metadata["unspin"]`` (spin score, verdict, number of spans and,
with ``restore=True``, the restored text), so a dropped document written by an ``exclusion_writer``
carries the reason, and ``action="tag"`` keeps every document with the tag for a later step.
"""
from __future__ import annotations

try:
    from datatrove.data import Document
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("unspin.integrations.datatrove needs datatrove: pip install 'unspin[datatrove]'") from e

from unspin.pipeline import DEFAULT_PROFILE, PROFILES


class UnspinFilter(BaseFilter):
    """Keep clean documents; drop (``action="drop"``) or only tag (``action="tag"``) spun ones.

    ``threshold``: spin score at or above which a document counts as spun (default: unspin's own
    verdict, calibrated to <= 3% false flags on clean text). ``profile``: fast | accurate | cascade.
    ``restore``: also put the restored text in the metadata.
    """

    name = "🌀 unspin"

    def __init__(self, action: str = "drop", threshold: float | None = None, profile: str = DEFAULT_PROFILE,
                 restore: bool = False, metadata_key: str = "unspin", exclusion_writer: DiskWriter | None = None):
        super().__init__(exclusion_writer)
        if action not in ("drop", "tag"):
            raise ValueError(f"action must be 'drop' or 'tag', not {action!r}")
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
        self.action, self.threshold, self.profile = action, threshold, profile
        self.restore, self.metadata_key = restore, metadata_key

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        from unspin.pipeline import default_pipeline  # loads once per worker process, on first use

        report = default_pipeline(self.profile).run(doc.text, doc_id=str(doc.id))
        spun = report.verdict == "spun" if self.threshold is None else report.spin_score >= self.threshold
        tag = {"spin_score": round(report.spin_score, 4), "spun": spun, "spans": len(report.spans)}
        if self.restore:
            tag["restored"] = report.restored
        doc.metadata[self.metadata_key] = tag
        self.stat_update("spun" if spun else "clean")
        if spun and self.action == "drop":
            return False, "spun"
        return True
