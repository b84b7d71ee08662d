"""Word frequency (Zipf scale: 7 = "the", 3 = once per million words, 0 = unseen)."""
from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency


@lru_cache(maxsize=500_000)
def zipf(phrase: str) -> float:
    """Zipf frequency of a word; for a phrase, that of its rarest word (what makes it stand out)."""
    words = phrase.lower().replace("-", " ").split()
    if not words:
        return 0.0
    return min(zipf_frequency(w, "en") for w in words)
