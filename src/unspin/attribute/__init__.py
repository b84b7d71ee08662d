"""Source attribution: find the document a spun text was made from, and show every substitution.

- :mod:`~unspin.attribute.fingerprint`: spin-invariant form (names, numbers, function words), MinHash;
- :mod:`~unspin.attribute.index`: :class:`SourceIndex`, LSH in SQLite, persistent and resumable;
  :func:`band_keys` and the LSH constants (``BANDS``, ``ROWS``, ``BUCKET_CAP``, ``DEFAULT_THRESHOLD``),
  shared with ``unspin scan``'s grouping of copies;
- :mod:`~unspin.attribute.align`: aligned diff between a spun text and its source;
- :mod:`~unspin.attribute.restore`: ``unspin check --index`` (spans and restoration from the source);
- :mod:`~unspin.attribute.inputs`: the corpora ``unspin index build|add`` reads (through :mod:`unspin.scan.readers`);
- :mod:`~unspin.attribute.cli`: ``unspin index build|add``, ``unspin find [--self]``.
"""
from unspin.attribute.align import align, substitutions
from unspin.attribute.index import Match, SourceIndex, SourceIndexError, band_keys
from unspin.attribute.restore import AttributedReport, attribute_report, restore_from_source

__all__ = ["AttributedReport", "Match", "SourceIndex", "SourceIndexError", "align", "attribute_report",
           "band_keys", "restore_from_source", "substitutions"]
