"""A spinner *simulator*: synonym-swaps clean text the way article spinners do, and records the
exact alignment (gold edits) so detectors can be scored.

For testing detectors only. It draws from the same lexicon graph the detector reads in reverse, so
scores on simulated text are an optimistic bound on recall; see bench/real_subs.py for how much of
real spinning the lexicon and each style cover.

Styles (what a token may become):

- ``sense``: thesaurus swaps that keep the word's most frequent sense (WN_FIRST), common single words;
- ``nosense``: swaps that ignore sense, like real word-level spinners (any Moby/WordNet relation:
  met -> satisfied, ordered -> bought), common single words;
- ``phrase``: spinner fillers and expansions (has -> has actually, between -> in between,
  join -> sign up with) and multi-word synonyms, except compounds that hold the word itself
  (group -> mathematical group), which real spinners rarely write;
- ``numbers``: number words to digits (two -> 2, second -> 2nd);
- ``wordnet``: what WordNet-driven spinners (the tools behind "tortured phrases") write: a WordNet
  synonym of any sense, of any word, function words included, also through adjective similarity
  (at -> astatine, in -> successful, on -> connected, as -> arsenic), however rare; single
  letters ("a" -> "ampere") are left alone;
- ``paraphrase``: what word-level synonym spinners write for function words (in -> within,
  but -> however, before -> earlier than, about -> in regards to);
- ``mixed``: nosense + phrase + numbers (the realistic default; without ``paraphrase``, so that its
  rows stay comparable with earlier releases').

``rate`` is the fraction of *eligible* tokens substituted: unprotected word tokens (per the
tokenizer: not names, numbers, dates, identifiers; optionally not inside quotation marks) that are
not stopwords (except stopwords that have a phrase filler, a paraphrase or a number form in the
style, and any word in the wordnet style) and for which the style has at least one substitute. Exactly
``round(rate * eligible)`` tokens are changed.
"""
from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from lemminflect import getAllLemmas

from unspin.lexicon import WORDNET_LINK, Relation, default_lexicon, holds_word, inflect, lemma_and_tags, same_word
from unspin.lexicon.lexicon import UPOS
from unspin.lexicon.numbers import NUMBER_WORDS
from unspin.tokenize import tokenize

STYLES = ("sense", "nosense", "phrase", "numbers", "wordnet", "paraphrase", "mixed")

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
during each either every few for from further had hadn't has hasn't have haven't having he he'd he'll
he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it
it's its itself just let's me more most much must mustn't my myself neither never no nor not now of off
on once one only or other ought our ours ourselves out over own same shall shan't she she'd she'll
she's should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those though through thus to too under until up
upon us very was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
whether which while who who's whom whose why why's will with within without won't would wouldn't yet
you you'd you'll you're you've your yours yourself yourselves also may might since still even
first second third two three four five six seven eight nine ten new like well get got make made
""".split())

_CLEAN_RE = re.compile(r"^[a-z][a-z' -]*[a-z]$|^[a-z]$")


@dataclass(frozen=True, slots=True)
class Edit:
    """One substitution: ``original[orig_start:orig_end]`` became ``spun[spun_start:spun_end]``."""

    orig_start: int
    orig_end: int
    spun_start: int
    spun_end: int
    original: str
    replacement: str
    kind: str  # "sense", "nosense", "phrase", "numbers", "wordnet", "paraphrase"


@dataclass(slots=True)
class SpunText:
    original: str
    spun: str
    edits: list[Edit] = field(default_factory=list)

    def gold_spans(self) -> list[tuple[int, int]]:
        """Spun-side (start, end) of every edit, the spans a detector should flag."""
        return [(e.spun_start, e.spun_end) for e in self.edits]

    def gold_restorations(self) -> list[str]:
        """The original text of every edit, in the order of ``gold_spans``."""
        return [e.original for e in self.edits]

    def to_dict(self) -> dict:
        return {"original": self.original, "spun": self.spun, "edits": [asdict(e) for e in self.edits]}


def apply_edits(original: str, edits: list[Edit]) -> str:
    """Rebuild the spun text from the original and the edits (the gold alignment's invariant)."""
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: e.orig_start):
        if e.orig_start < pos:
            raise ValueError("overlapping edits")
        out.append(original[pos:e.orig_start])
        out.append(e.replacement)
        pos = e.orig_end
    out.append(original[pos:])
    return "".join(out)


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges inside double quotation marks (curly or straight), marks included.
    An unclosed quote runs to the end of its paragraph."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "\u201c\"":
            close = "\u201d" if ch == "\u201c" else "\""
            j = text.find(close, i + 1)
            para = text.find("\n\n", i + 1)
            if j == -1 or (para != -1 and para < j):
                j = (para if para != -1 else n) - 1
            spans.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    return spans


@lru_cache(maxsize=300_000)
def _zipf(text: str) -> float:
    """wordfreq's own phrase frequency (not ``unspin.evidence.zipf``'s rarest-word rule): the
    simulator asks how common a whole substitute is."""
    from wordfreq import zipf_frequency

    return zipf_frequency(text, "en")


@lru_cache(maxsize=300_000)
def _pos_ok(form: str, tag: str) -> bool:
    """Is the (inflected) synonym usable in the word's part of speech? Memoised: lemminflect
    deep-copies its tables on every call, and this ran about 70,000 times a document (80% of the
    simulator's time)."""
    upos = UPOS.get(tag[:1])
    if upos is None:
        return True
    words = form.split()
    if len(words) == 1:
        return upos in getAllLemmas(form) or upos in getAllLemmas(form, upos=upos)
    if upos == "VERB":
        return "VERB" in getAllLemmas(words[0])
    if upos == "NOUN":
        return "NOUN" in getAllLemmas(words[-1])
    return True


class Spinner:
    """Deterministic article-spinner simulator (see the module docstring for styles and rate)."""

    def __init__(self, style: str = "mixed", rate: float = 0.3, seed: int = 0, spin_quotes: bool = True,
                 lexicon=None):
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        self.style = style
        self.rate = rate
        self.seed = seed
        self.spin_quotes = spin_quotes
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self._lexical: dict[str, list[tuple[str, int, bool]]] = {}
        self._options: dict[tuple[str, str], dict[str, list[tuple[str, float]]]] = {}

    # -- options -------------------------------------------------------------------------------
    def _lexical_options(self, low: str) -> list[tuple[str, int, bool]]:
        """(spun form, relation bits, verbatim) for a lower-case word form, inflected like it."""
        if low in self._lexical:
            return self._lexical[low]
        found: dict[str, list] = {}
        analyses = lemma_and_tags(low)
        inflected = bool(analyses) and all(lemma != low for lemma, _ in analyses)
        for syn, rel in self.lexicon.synonyms(low):  # form-specific entries (has -> has actually)
            if inflected and not rel & Relation.FILLER:
                continue  # "said" as an entry of its own is the adjective (aforesaid), not the verb
            found.setdefault(syn, [0, True])[0] |= int(rel)
        tags_of: dict[str, set[str]] = {}
        for lemma, tag in analyses:
            tags_of.setdefault(lemma, set()).add(tag)
        for lemma, tag in analyses:
            ambiguous_past = tag in ("VBD", "VBN") and {"VBD", "VBN"} <= tags_of[lemma]
            for syn, rel in self.lexicon.synonyms(lemma):
                form = syn if lemma == low else inflect(syn, tag)
                if not form or not _pos_ok(form, tag):
                    continue
                if ambiguous_past and inflect(syn, "VBD") != inflect(syn, "VBN"):
                    continue  # "joined" may be either; "fell in" / "fallen in" fits only one
                item = found.setdefault(form, [0, False])
                item[0] |= int(rel)
        out = []
        for form, (rel, verbatim) in found.items():
            if form == low or not _CLEAN_RE.match(form):
                continue
            if " " not in form and "-" not in form:
                if same_word(form, low):
                    continue  # another inflection of the same word is no synonym
            out.append((form, rel, verbatim))
        self._lexical[low] = out
        return out

    def options(self, word: str, style: str | None = None) -> dict[str, list[tuple[str, float]]]:
        """What ``style`` may write instead of ``word``: {kind: [(lower-case form, weight)]}."""
        style = style or self.style
        low = word.lower()
        key = (low, style)
        if key in self._options:
            return self._options[key]
        kinds = ("nosense", "phrase", "numbers") if style == "mixed" else (style,)
        res: dict[str, list[tuple[str, float]]] = {}
        stop = low in STOPWORDS
        for kind in kinds:
            opts: list[tuple[str, float]] = []
            if kind == "numbers":
                if low in NUMBER_WORDS:
                    opts.append((NUMBER_WORDS[low], 1.0))
            elif kind in ("sense", "nosense"):
                if not stop:
                    for form, rel, _ in self._lexical_options(low):
                        if rel == Relation.FILLER or " " in form or "-" in form:
                            continue
                        if kind == "sense" and not rel & Relation.WN_FIRST:
                            continue
                        z = _zipf(form)
                        if z >= 3.0:
                            opts.append((form, z - 2.5))
            elif kind == "wordnet" and len(low) > 1:
                opts += [(form, 1.0) for form, rel, _ in self._lexical_options(low)
                         if rel & WORDNET_LINK and " " not in form and "-" not in form]
            elif kind == "paraphrase":
                opts += [(form, 1.0) for form, rel, _ in self._lexical_options(low) if rel & Relation.PARAPHRASE]
            elif kind == "phrase":
                for form, rel, _ in self._lexical_options(low):
                    if rel & Relation.FILLER:
                        opts.append((form, 5.0))
                    elif not stop and " " in form and rel & (Relation.WN_ANY | Relation.WN_FIRST):
                        # WordNet multi-word synonyms share a synset (so a part of speech); Moby's
                        # phrases ("take residence at" for quarter) are mostly not substitutable.
                        if holds_word(form, low):
                            # A compound holding the word itself ("group" -> "mathematical group",
                            # "gases" -> "natural gases"): WordNet's, not a spinner's. Of the 57
                            # multi-word forms in real spun pages (shared/real_substitutions_dev.tsv)
                            # only 2 hold their original, and both are fillers ("together with").
                            continue
                        z = _zipf(form)
                        if z >= 3.0:
                            opts.append((form, z - 2.5))
            if opts:
                res[kind] = opts
        self._options[key] = res
        return res

    # -- spinning ------------------------------------------------------------------------------
    def spin(self, text: str) -> SpunText:
        rng = random.Random(self.seed)
        doc = tokenize(text)
        quotes = [] if self.spin_quotes else quote_spans(text)
        eligible = []
        for i, tok in enumerate(doc.tokens):
            if not tok.is_word or tok.protected:
                continue
            if quotes and any(s <= tok.start < e for s, e in quotes):
                continue
            if tok.text[:1].isupper() and _starts_name(doc.tokens, i):
                continue
            if self.options(tok.text):
                eligible.append(i)
        k = round(self.rate * len(eligible))
        chosen = sorted(rng.sample(eligible, k)) if k else []
        edits: list[Edit] = []
        parts: list[str] = []
        pos = 0
        spun_len = 0
        for i in chosen:
            tok = doc.tokens[i]
            kind, form = self._choose(rng, self.options(tok.text))
            rep = _match_case(tok.text, form)
            gap = text[pos:tok.start]
            parts.append(gap)
            spun_len += len(gap)
            parts.append(rep)
            edits.append(Edit(tok.start, tok.end, spun_len, spun_len + len(rep), tok.text, rep, kind))
            spun_len += len(rep)
            pos = tok.end
        parts.append(text[pos:])
        return SpunText(text, "".join(parts), edits)

    @staticmethod
    def _choose(rng: random.Random, opts: dict[str, list[tuple[str, float]]]) -> tuple[str, str]:
        # Kind first (numbers and fillers are what a spinner rewrites when it can; other phrases are
        # rarer than single-word swaps), then form.
        kinds = sorted(opts)
        kw = {"numbers": 3.0, "phrase": 1.0, "nosense": 3.0, "sense": 1.0, "wordnet": 1.0, "paraphrase": 1.0}
        if "phrase" in opts and any(w >= 5.0 for _, w in opts["phrase"]):
            kw = dict(kw, phrase=3.0)
        kind = rng.choices(kinds, weights=[kw[k] for k in kinds])[0]
        forms = sorted(opts[kind])
        form = rng.choices([f for f, _ in forms], weights=[w for _, w in forms])[0]
        return kind, form


def _starts_name(tokens, i: int) -> bool:
    """A sentence-initial capitalised word followed by another capitalised word ("Rod Eddington
    said") is taken for a name: the tokenizer cannot protect it, a spinner's lexicon would not
    touch it."""
    if i > 0 and tokens[i - 1].sentence == tokens[i].sentence:
        return False
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return bool(nxt and nxt.is_word and nxt.text[:1].isupper() and nxt.start == tokens[i].end + 1)


def _match_case(written: str, form: str) -> str:
    if written[:1].isupper():
        return form[:1].upper() + form[1:]
    return form


__all__ = ["STYLES", "Edit", "NUMBER_WORDS", "SpunText", "Spinner", "apply_edits", "quote_spans"]
