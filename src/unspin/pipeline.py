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
DEFAULT_PROFILE = "fast"  # the library and batch scanning: throughput first


def interactive_profile() -> str:
    """The default for one document at a time (``unspin check``, the API, the web page): the
    ``UNSPIN_PROFILE`` environment variable if set, else accurate where the neural model is
    installed, else fast."""
    import os

    from unspin.evidence.neural import neural_available

    chosen = os.environ.get("UNSPIN_PROFILE")
    if chosen:
        if chosen not in PROFILES:
            raise ValueError(f"UNSPIN_PROFILE={chosen!r}: choose one of {', '.join(PROFILES)}")
        return chosen
    return "accurate" if neural_available() else "fast"


def default_pipeline(profile: str = DEFAULT_PROFILE) -> Pipeline:
    """The shared pipeline for a profile, built once per process (once per neural model for the
    neural profiles: ``UNSPIN_NEURAL_MODEL`` is read at each call).

    fast: n-gram, frequency and thesaurus evidence only (batch scanning);
    accurate: candidates re-ranked by a neural language model;
    cascade: fast first, the neural model only where the fast profile is suspicious.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if profile == "fast":
        return _pipeline(profile, None)
    from unspin.evidence.neural import model_spec

    return _pipeline(profile, model_spec())


@lru_cache(maxsize=8)
def _pipeline(profile: str, neural_model: str | None) -> Pipeline:
    if profile == "fast":
        return Pipeline()
    from unspin.decide.rescore import CASCADE_GATE, accurate_detector

    return Pipeline(accurate_detector(gate=CASCADE_GATE if profile == "cascade" else None, lm=neural_model))


def check(text: str, doc_id: str = "-", profile: str = DEFAULT_PROFILE) -> Report:
    """Check one document for spinning; resources load on the first call of the process."""
    return default_pipeline(profile).run(text, doc_id)
