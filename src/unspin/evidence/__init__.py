"""Evidence stage: how natural a wording is in context (language models, word frequency, topic fit)."""
from unspin.evidence.frequency import zipf
from unspin.evidence.ngram import LanguageModel, NGramLM, default_ngram_lm
from unspin.evidence.topic import TopicModel, default_topic_model

__all__ = ["LanguageModel", "NGramLM", "TopicModel", "default_ngram_lm", "default_topic_model", "zipf"]
