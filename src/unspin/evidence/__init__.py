"""Evidence stage: how natural a wording is in context (language models, word frequency)."""
from unspin.evidence.frequency import zipf
from unspin.evidence.ngram import LanguageModel, NGramLM, default_ngram_lm

__all__ = ["LanguageModel", "NGramLM", "default_ngram_lm", "zipf"]
