"""The pipeline: ingest -> tokenize -> detect -> report, as small swappable stages.

Why a class and not module state: parameters live in the constructor (scikit-learn style), so two
pipelines with different models can coexist; ``default_pipeline()`` caches one per process so that
resources load once.
"""
from __future__ import annotations

from functools import lru_cache

from unspin.decide import Detector
from unspin.doc import Doc
from unspin.ingest import analysis_view, looks_english
from unspin.report import Report
from unspin.tokenize import tokenize


class Pipeline:
    def __init__(self, detector: Detector | None = None, threshold: float | None = None):
        self.detector = detector or Detector()
        self.threshold = self.detector.model.doc_threshold if threshold is None else threshold

    def make_doc(self, text: str, doc_id: str = "-") -> Doc:
        """Tokenize on the analysis view (markup blanked) while keeping offsets into ``text``."""
        view, is_html = analysis_view(text)
        doc = tokenize(view, doc_id)
        doc.text = text
        if is_html:
            doc.warnings.append("HTML input: markup ignored, offsets refer to the HTML as given")
        return doc

    def run(self, text: str, doc_id: str = "-", warnings: list[str] | None = None) -> Report:
        if not isinstance(text, str):
            raise TypeError(f"unspin.check expects str, got {type(text).__name__}; decode bytes first")
        doc = self.make_doc(text, doc_id)
        doc.warnings = list(warnings or []) + doc.warnings
        words = [t.text for t in doc.words]
        if not text.strip():
            doc.warnings.append("empty input: nothing to check")
        elif not looks_english(words):
            doc.language = "unknown"
            doc.warnings.append("text does not look English; unspin analyses English only, nothing flagged")
        else:
            self.detector.predict(doc)
        return Report.from_doc(doc, self.threshold)


PROFILES = ("fast", "accurate", "cascade")
DEFAULT_PROFILE = "fast"


@lru_cache(maxsize=len(PROFILES))
def default_pipeline(profile: str = DEFAULT_PROFILE) -> Pipeline:
    """The shared pipeline for a profile, built once per process.

    fast: n-gram, frequency and thesaurus evidence only (batch scanning);
    accurate: candidates re-ranked by a neural language model;
    cascade: fast first, the neural model only where the fast profile is suspicious.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if profile == "fast":
        return Pipeline()
    raise NotImplementedError(f"profile {profile!r} is not built yet")


def check(text: str, doc_id: str = "-", profile: str = DEFAULT_PROFILE) -> Report:
    """Check one document for spinning; resources load on the first call of the process."""
    return default_pipeline(profile).run(text, doc_id)
