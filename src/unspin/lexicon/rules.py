"""Spinner rewrite rules: what article spinners write for a word beyond what a thesaurus lists.

Read by ``scripts/build_lexicon.py`` (the lexicon's FILLER and PARAPHRASE relations) and by the
attribution fingerprint (``unspin.attribute.fingerprint``), which reads each rewritten form back as
its original so that these rewrites leave a copy's fingerprint unchanged. Each rewritten form has one
original.
"""
from __future__ import annotations

# Insertions and expansions that article spinners add around a word. These are spinner behaviours
# (documented in the DSpin paper and seen on any spun page), not observations from the dev set.
FILLERS: dict[str, list[str]] = {
    "has": ["has actually"],
    "have": ["have actually"],
    "had": ["had actually"],
    "is": ["is actually"],
    "are": ["are actually"],
    "was": ["was actually"],
    "were": ["were actually"],
    "will": ["will certainly"],
    "would": ["would certainly"],
    "between": ["in between"],
    "never": ["never ever"],
    "first": ["very first"],
    "same": ["exact same", "very same"],
    "new": ["brand-new", "brand new"],
    "every": ["each and every"],
    "with": ["along with"],
    "join": ["sign up with", "sign up for"],
    "noted": ["kept in mind"],
    "note": ["keep in mind"],
    "explained": ["made clear"],
    "requested": ["asked for"],
    "help": ["assist", "aid"],
    "get": ["obtain"],
    "use": ["make use of", "utilize"],
    "because": ["due to the fact that"],
    "about": ["regarding"],
    "show": ["reveal"],
}

# Rewrites of function words that word-level synonym spinners write: the lexical and phrasal
# paraphrases of prepositions, conjunctions and adverbs found in paraphrase databases (PPDB has
# in -> within, before -> earlier than, about -> in regards to), which such spinners apply without
# regard to register. The thesauri rarely list a function word's paraphrase, and the detector
# proposes a function word as an original only through WordNet, a filler or this table. Only forms
# the detector reads as a site are listed (not "might" for could: a written stopword is never one).
# Unlike fillers, these forms are common in clean prose ("within the limits"), hence a relation of
# their own. Written after reading ../shared/real_substitutions_dev.tsv, which holds six of them.
PARAPHRASES: dict[str, list[str]] = {
    "in": ["within"],
    "about": ["in regards to", "with regard to", "concerning", "relating to"],
    "before": ["earlier than", "prior to"],
    "after": ["subsequent to"],
    "but": ["however"],
    "under": ["underneath", "beneath"],
    "with": ["together with"],
    "during": ["throughout"],
    "through": ["via", "by way of"],
    "because": ["as a result of"],
    "though": ["although"],
    "while": ["whereas", "whilst"],
    "whether": ["whether or not"],
    "among": ["amongst"],
    "around": ["round"],
    "until": ["till"],
    "also": ["additionally", "moreover"],
    "only": ["solely", "merely"],
    "just": ["simply"],  # not "merely" as well: one original a rewritten form (see the fingerprint)
    "still": ["nonetheless", "nevertheless"],
    "again": ["once more"],
    "much": ["a lot"],
    "several": ["a number of"],
    "if": ["in case"],
}
