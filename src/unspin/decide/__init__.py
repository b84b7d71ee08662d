"""Decision stage: evidence -> flagged spans, restorations and a calibrated document score."""
from unspin.decide.detector import FEATURES, DOC_FEATURES, DecisionModel, Detector, Site, doc_features

__all__ = ["DOC_FEATURES", "FEATURES", "DecisionModel", "Detector", "Site", "doc_features"]
