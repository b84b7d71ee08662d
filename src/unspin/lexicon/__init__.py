"""Lexicon stage: candidate originals for spun words and phrases."""
from unspin.lexicon.lexicon import Candidate, Lexicon, Relation, default_lexicon, inflect, lemma_and_tags, relation_of

__all__ = ["Candidate", "Lexicon", "Relation", "default_lexicon", "inflect", "lemma_and_tags", "relation_of"]
