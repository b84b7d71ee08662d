"""Lexicon stage: candidate originals for spun words and phrases."""
from unspin.lexicon.lexicon import (WORDNET_LINK, Candidate, Lexicon, Relation, default_lexicon, holds_word, inflect,
                                    lemma_and_tags, lemmas_of, relation_of, same_word)

__all__ = ["WORDNET_LINK", "Candidate", "Lexicon", "Relation", "default_lexicon", "holds_word", "inflect",
           "lemma_and_tags", "lemmas_of", "relation_of", "same_word"]
