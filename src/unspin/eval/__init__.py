"""Evaluation harness: clean corpora, a spinner simulator and detector metrics.

Submodules are imported on demand (``unspin.eval.corpora``, ``unspin.eval.simulator``,
``unspin.eval.metrics``) so that importing the package loads no lexicon.
"""
from unspin.eval.corpora import Document, load_documents

__all__ = ["Document", "load_documents"]
