"""Decision stage: candidate sites -> features -> flagged spans, restoration and a document score.

A *site* is a run of written tokens (one word, or a phrase such as "has actually") that the lexicon
says could be a spinner's substitute. For each site the candidate originals are scored in context
by a language model; a small trained model (a network for sites, a monotone logistic model for the
document), fitted on simulated spinning (``scripts/train_decision.py``), turns the evidence into a
calibrated probability.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import chain
from operator import itemgetter
from typing import Callable, Protocol, Sequence

import numpy as np
from numba import njit

from unspin.decide.candidate_table import (CandidateList, CandidateTable, default_candidate_table,
                                           frequency_order, inputs_fingerprint)
from unspin.decide.mlp import SiteMLP
from unspin.decide.trees import SiteTrees
from unspin.decide.numbers import NumberWords
from unspin.doc import Doc, Evidence, Span
from unspin.evidence import LanguageModel, TopicModel, default_ngram_lm, default_topic_model, zipf
from unspin.evidence.ngram import OOV_LOGPROB
from unspin.lexicon import (WORDNET_LINK, Lexicon, Relation, default_lexicon, holds_word, lemma_and_tags, relation_of,
                            same_word)
from unspin.lexicon.lexicon import default_lexicon_path
from unspin.tokenize import sentences

# Function words are examined only as the head of a spinner phrase ("in between", "has actually"):
# as single words they are too frequent to be a spinner's substitute and too cheap to flag.
STOPWORDS = frozenset("""a an the and or but if of in on at to for from by with as is are was were be been
being am do does did has have had having it its this that these those he she they we you i me him her
them us my your his our their not no so than then there here what which who whom whose when where why
how all any each both few more most other some such only own same too very can will just should would
could may might must shall also into over under about after before up down out off again further once
s t don doesn didn isn aren wasn weren hasn haven hadn won wouldn said says""".split())
# Not a content word's original either, unless WordNet links them. "said" is one: it is skipped
# as a written word (too common to be worth a flag) but is the commonest original of all in news.
FUNCTION_WORDS = STOPWORDS - {"said", "says"}
MAX_PHRASE = 4

TOPIC_FEATURES = ("topic_known", "topic_written", "topic_best_gain", "topic_gain")  # TopicModel.site_fits
FEATURES = (
    "lm_gain", "context_gain", "zipf_written", "zipf_delta", "rel_wn_first", "rel_wn_any", "rel_moby",
    "rel_filler", "rel_paraphrase", "log_candidates", "is_phrase", "written_surprise", "written_oov", "sentence_initial",
    "gain_margin", "written_posterior", "bayes_gain", "log_rank", "doc_bayes", "doc_odd_share",
) + TOPIC_FEATURES + ("doc_topic", "topic_rel")
DOC_FEATURES = ("density", "mean_top", "max_prob", "log_words")
# What ``Detector._score_sites`` computes of a site by itself (the rest joins with document statistics).
SITE_FEATURES = FEATURES[:FEATURES.index("doc_bayes")] + TOPIC_FEATURES


@dataclass(slots=True)
class Site:
    """A place where a substitution may have happened, with its best reading."""

    first: int  # token index, inclusive
    last: int  # token index, inclusive
    written: str
    suggestion: str
    relation: Relation
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0
    # Tuples of strings: shared with the candidate memo, and out of the garbage collector's view.
    candidates: tuple[str, ...] = ()  # every candidate original, case-matched
    shortlist: tuple[str, ...] = ()  # the best few for restoration (n-gram, topic, fan-out), best first
    relations: tuple[int, ...] = ()  # each candidate's Relation bits, aligned with ``candidates``

    def suggest(self, suggestion: str) -> None:
        """Make one of the candidates the suggestion, with its own relation to the written form."""
        self.suggestion = suggestion
        self.relation = relation_of(self.relations[self.candidates.index(suggestion)])


@dataclass
class DecisionModel:
    """Site and document weights (see scripts/train_decision.py): logistic, or a trained site model
    (``site_model``: boosted trees or a small network).

    ``site_threshold_spun``: the site threshold inside a document whose spin score reaches
    ``doc_threshold``. A spun document holds many substitutions, so weaker evidence suffices there,
    while clean text keeps the strict threshold; ``None`` means one threshold everywhere.
    """

    site_coef: dict[str, float]
    site_intercept: float
    doc_coef: dict[str, float]
    doc_intercept: float
    site_threshold: float = 0.5
    doc_threshold: float = 0.5
    meta: dict = field(default_factory=dict)
    site_threshold_spun: float | None = None
    site_model: SiteMLP | SiteTrees | None = None

    def site_threshold_for(self, spin_score: float) -> float:
        if self.site_threshold_spun is not None and spin_score >= self.doc_threshold:
            return self.site_threshold_spun
        return self.site_threshold

    @property
    def site_features(self) -> tuple[str, ...]:
        """The site features this model reads, in its input order."""
        return self.site_model.features if self.site_model is not None else tuple(self.site_coef)

    def site_probability(self, f: dict[str, float]) -> float:
        return float(self.site_probabilities([f])[0])

    def site_probabilities(self, fs: Sequence[dict[str, float]]) -> np.ndarray:
        """Probabilities of many sites at once (a document's: one matrix product, not a loop)."""
        names = self.site_features
        try:  # every feature present, as on the detector's own sites: read in C, not per key
            get = itemgetter(*names)
            rows = [get(f) for f in fs]
        except KeyError:  # a partial dict (a hand-built site, an older model's feature set): absent is 0
            rows = [[f.get(k, 0.0) for k in names] for f in fs]
        X = np.array(rows, dtype=float).reshape(len(fs), len(names))
        if self.site_model is not None:
            return self.site_model.predict(X)
        z = self.site_intercept + X @ np.array([self.site_coef[k] for k in names], dtype=float)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))

    def score_sites(self, sites: Sequence[Site]) -> None:
        """Set each site's ``probability`` from its features, a document's sites in one product."""
        for s, p in zip(sites, self.site_probabilities([s.features for s in sites]).tolist()):
            s.probability = p

    def doc_probability(self, f: dict[str, float]) -> float:
        z = self.doc_intercept + sum(w * f.get(k, 0.0) for k, w in self.doc_coef.items())
        return _sigmoid(z)

    @classmethod
    def load(cls, path: str | None = None) -> "DecisionModel":
        src = path or str(resources.files("unspin.decide") / "data" / "decision.json")
        try:
            with open(src, encoding="utf-8") as fh:
                d = json.load(fh)
        except FileNotFoundError:
            if path:
                raise
            return cls.heuristic()
        return cls(d["site_coef"], d["site_intercept"], d["doc_coef"], d["doc_intercept"],
                   d.get("site_threshold", 0.5), d.get("doc_threshold", 0.5), d.get("meta", {}),
                   d.get("site_threshold_spun"), _site_model_from_dict(d.get("site_model") or d.get("site_mlp")))

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"site_coef": self.site_coef, "site_intercept": self.site_intercept,
                       "doc_coef": self.doc_coef, "doc_intercept": self.doc_intercept,
                       "site_threshold": self.site_threshold, "doc_threshold": self.doc_threshold,
                       "site_threshold_spun": self.site_threshold_spun,
                       "site_model": self.site_model.to_dict() if self.site_model is not None else None,
                       "meta": self.meta}, fh, indent=1)

    @classmethod
    def heuristic(cls) -> "DecisionModel":
        """Hand-set weights, used only before a trained model exists."""
        return cls({"lm_gain": 0.6, "context_gain": 0.4, "rel_filler": 2.0, "rel_wn_first": 0.5},
                   -4.0, {"density": 2.0, "max_prob": 2.0}, -3.0)


def _site_model_from_dict(d: dict | None) -> SiteMLP | SiteTrees | None:
    """A saved site model by its ``kind`` (files written before trees existed hold a network under
    the key ``site_mlp``, without a kind)."""
    if not d:
        return None
    return SiteTrees.from_dict(d) if d.get("kind") == "trees" else SiteMLP.from_dict(d)


def _sigmoid(z: float) -> float:
    if z < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


class Rescorer(Protocol):
    """A second opinion on sites (e.g. a neural language model) with its own decision model."""

    model: DecisionModel

    def wants(self, doc: Doc, sites: list[Site], fast_model: DecisionModel) -> bool:
        """Whether this document is worth the cost (always, for the accurate profile)."""

    def rescore(self, doc: Doc, sites: list[Site]) -> None:
        """Add evidence to each site's features, update suggestions and set ``probability``."""

    def may_flag(self, site: Site) -> bool:
        """Whether a re-scored site may become a span (its probability still counts towards the
        document score either way)."""


class Detector:
    """Finds spun sites in a tokenized ``Doc`` and fills its spans and spin score.

    Parameters are explicit so that two detectors with different models can live in one process.
    """

    def __init__(self, lexicon: Lexicon | None = None, lm: LanguageModel | None = None,
                 model: DecisionModel | None = None, max_candidates: int = 100, passes: int = 2,
                 rescorer: "Rescorer | None" = None, shortlist_size: int = 3, topic: TopicModel | None = None,
                 restore_topic: float = 4.0, restore_fanout: float = 1.0,
                 numbers: NumberWords | None = NumberWords(),
                 candidate_table: "CandidateTable | str | None" = "packaged"):
        self.lexicon = lexicon or default_lexicon()
        self.lm = lm or default_ngram_lm()
        self.topic = topic or default_topic_model(STOPWORDS)
        self.model = model or DecisionModel.load()
        self.max_candidates = max_candidates
        self.passes = passes
        self.rescorer = rescorer
        self.shortlist_size = shortlist_size
        self.restore_topic = restore_topic
        self.restore_fanout = restore_fanout
        self.numbers = numbers  # figures written for number words, in documents judged spun (None: off)
        # Precomputed candidate lists of common words (``decide.candidate_table``): "packaged" (or a
        # table file's path) is used when built for this lexicon and a cut at ``max_candidates`` or
        # later (read at the first word not met before); a ``CandidateTable`` is used as given; None
        # computes all.
        self.candidate_table = candidate_table
        self._table: CandidateTable | None | object = _UNSEEN
        # Candidate sets with their per-candidate static data, memoised per written form (a batch
        # meets the same words again and again).
        self._word_sets: dict[str, _CandidateSet | None] = {}
        self._phrase_sets: dict[tuple, _CandidateSet | None] = {}
        # What scoring needs of each wording, candidate or written, by its text: a candidate
        # such as "make" recurs in hundreds of lists, and a new list is mostly made of known ones.
        self._wordings: dict[str, _Wording] = {}

    @property
    def final_model(self) -> DecisionModel:
        """The model whose probabilities and thresholds make the decisions."""
        return self.rescorer.model if self.rescorer is not None else self.model

    # -- public ---------------------------------------------------------------------------
    def sites(self, doc: Doc) -> list[Site]:
        """Every candidate site with features and probability.

        Two phases: every site is first scored in its written context; document statistics (how odd
        the document is overall) join each site's features, since a substitution is likelier in a
        document full of them; then flagged neighbours are restored and their sentences re-scored
        ("composed dedication" -> "written commitment" is found as a pair).
        """
        plans = []  # per sentence: word positions, the n-gram model's words, raw sites, their windows
        doc_words: list[str] = []  # the document's words (n-gram forms), for topic contexts
        spans = []  # every raw site's (first, last) position in doc_words
        for sent in sentences(doc):
            words = [i for i in sent if doc.tokens[i].is_word or doc.tokens[i].protected == "number"]
            raw = self._raw_sites(doc, words) if words else []
            lm_words = [_lm_form(doc.tokens[i].text) for i in words]
            if raw:
                plans.append((words, lm_words, raw, [_window(lm_words, a, b, {}) for a, b, *_ in raw]))
                spans.extend((len(doc_words) + a, len(doc_words) + b) for a, b, *_ in raw)
            doc_words.extend(lm_words)
        contexts = iter(self.topic.contexts(doc_words, spans))
        raw_contexts = [[next(contexts) for _ in raw] for _, _, raw, _ in plans]
        # Every site of the document is scored in one batch (one compiled call per pass).
        scored = iter(self._score_sites([(words, win, r, ctx) for (words, _, raw, windows), ctxs in
                                         zip(plans, raw_contexts) for win, r, ctx in zip(windows, raw, ctxs)]))
        per_plan = [[next(scored) for _ in raw] for _, _, raw, _ in plans]
        stats = _doc_stats([s for sites in per_plan for s in sites])
        for sites in per_plan:
            self._probabilities(sites, stats)
        active = list(range(len(plans)))
        for _ in range(max(0, self.passes - 1)):
            jobs, where, still = [], [], []
            for p in active:
                words, lm_words, raw, windows = plans[p]
                replaced = self._replacements(words, per_plan[p])
                if not replaced:
                    continue
                still.append(p)
                # With a trigram model a site's scores depend on its written words and the two words
                # either side alone: a site whose window the replacements leave unchanged would be
                # scored exactly as before, so it keeps its Site.
                for k, r in enumerate(raw):
                    win = _window(lm_words, r[0], r[1], replaced)
                    if win != windows[k]:
                        windows[k] = win
                        jobs.append((words, win, r, raw_contexts[p][k]))
                        where.append((p, k))
            active = still
            if not jobs:
                break
            fresh = self._score_sites(jobs)
            for (p, k), site in zip(where, fresh):
                per_plan[p][k] = site
            self._probabilities(fresh, stats)
        out: list[Site] = [s for sites in per_plan for s in sites]
        if self.rescorer is not None and out and self.rescorer.wants(doc, out, self.model):
            self.rescorer.rescore(doc, out)
        return out

    def predict(self, doc: Doc) -> Doc:
        sites = self.sites(doc)
        model = self.final_model
        if self.rescorer is not None and not any(s.features.get("nn_scored") for s in sites):
            model = self.model  # the cascade kept this document on the fast path
        doc.spin_score = model.doc_probability(doc_features(doc, sites))
        threshold = model.site_threshold_for(doc.spin_score)
        flaggable = (lambda s: True) if model is self.model else self.rescorer.may_flag
        chosen = _non_overlapping([s for s in sites if s.probability >= threshold and flaggable(s)])
        doc.spans = [self._span(doc, s) for s in chosen]
        if self.numbers is not None and doc.spin_score >= model.doc_threshold:
            # Figures are protected tokens, so no site covers one; sorted back into reading order.
            doc.spans = sorted(doc.spans + self.numbers.spans(doc), key=lambda sp: sp.start)
        return doc

    # -- internals ------------------------------------------------------------------------
    def _probabilities(self, sites: list[Site], stats: dict[str, float]) -> None:
        for s in sites:
            f = s.features
            f.update(stats)
            f["topic_rel"] = f["topic_written"] - stats["doc_topic"] if f["topic_known"] else 0.0
        self.model.score_sites(sites)

    def _replacements(self, words: list[int], sites: list[Site]) -> dict[int, str]:
        replaced: dict[int, str] = {}
        for s in _non_overlapping([s for s in sites if s.probability >= self.model.site_threshold]):
            a, b = words.index(s.first), words.index(s.last)
            replaced[a] = _lm_form(s.suggestion)
            for k in range(a + 1, b + 1):
                replaced[k] = ""
        return replaced

    def _candidate_set(self, table: dict, key, make: Callable[..., CandidateList], *args) -> "_CandidateSet | None":
        """The memoised candidate set for ``key``, built from ``make(*args)`` on a miss (``None`` when
        it finds no candidate; that is remembered too). Arguments rather than a closure: most calls
        are hits, and a lambda would be built for each."""
        cset = table.get(key, _UNSEEN)
        if cset is _UNSEEN:
            if len(table) > 200_000:
                table.clear()
            cands = make(*args)
            cset = table[key] = _CandidateSet(cands, self._wordings_of(cands.texts)) if cands.texts else None
        return cset

    def _word_list(self, low: str, text: str) -> CandidateList:
        """``_word_candidates`` of a written word, from the precomputed table when it holds the word."""
        table = self._table
        if table is _UNSEEN:
            table = self._table = self._resolve_table()
        found = table.get(low, self.max_candidates) if table is not None else None
        return found if found is not None else self._candidate_list(self._word_candidates(text))

    def _phrase_list(self, phrase: tuple[str, ...], low: str, tail_tag: str | None = None) -> CandidateList:
        """``_phrase_candidates`` of a phrase written with head ``low`` (and last word tagged
        ``tail_tag``, if given). Phrases are not in the table:
        with every inflection of their heads there are 168,000 of them, which would add about 4 MB
        (measured when it held 100 candidates a word: 9 MB instead of 5), and a scan meets few
        (7,000 in 1,500 articles, 1.1 ms a document while new)."""
        return self._candidate_list(self._phrase_candidates(phrase, low, tail_tag))

    def _resolve_table(self) -> CandidateTable | None:
        """The table to read: one given as an object is used as given; "packaged" or a file's path
        only if built for this detector's inputs (the packaged lexicon, a cut at ``max_candidates`` or
        later)."""
        table = self.candidate_table
        if not isinstance(table, str):
            return table
        if self.lexicon is not default_lexicon():
            return None
        table = default_candidate_table() if table == "packaged" else CandidateTable.load(table)
        if table is None or not table.matches(inputs_fingerprint(default_lexicon_path()), self.max_candidates):
            return None
        return table

    def _candidate_list(self, cands: list) -> CandidateList:
        """Candidates as the candidate sets keep them: texts, fan-outs and relation bits."""
        forward = self.lexicon.forward
        return CandidateList(tuple(c.text for c in cands), tuple(len(forward.get(c.lemma, ())) or 1 for c in cands),
                             tuple(c.bits for c in cands))

    def _wordings_of(self, texts: Sequence[str]) -> list["_Wording"]:
        """The ``_Wording`` of each text, the ones not met before computed together (one n-gram
        encoding, one topic lookup and one compiled unigram call for all of them)."""
        memo = self._wordings
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            if len(memo) + len(missing) > 400_000:
                memo.clear()
                missing = list(dict.fromkeys(texts))
            forms = [tuple(_lm_form(t).split()) for t in missing]
            encode = getattr(self.lm, "encode", None)
            ids: list = [None] * len(forms)
            if encode is not None:
                flat, lengths = encode(forms)
                flat_ids, ends = flat.tolist(), np.cumsum(lengths).tolist()
                ids = [tuple(flat_ids[e - len(f):e]) for e, f in zip(ends, forms)]
            words = list(dict.fromkeys(w for f in forms for w in f))
            batch = getattr(self.lm, "unigram_logprobs", None)
            unigram = dict(zip(words, batch(words) if batch else [self.lm.unigram_logprob(w) for w in words]))
            for k, f, i, row in zip(missing, forms, ids, self.topic.rows(forms).tolist()):
                memo[k] = (f, i, row, sum(unigram[w] for w in f), any(unigram[w] <= OOV_LOGPROB + 0.1 for w in f))
        return [memo[t] for t in texts]

    def _word_candidates(self, text: str) -> list:
        """Candidate originals of a single written word, at most ``max_candidates``."""
        # A content word's original is a content word, unless WordNet links them in some sense
        # (WordNet-driven spinners do write "astatine" for "at", "successful" for "in") or it is a
        # spinner's rewrite of the function word ("within" for "in", "however" for "but").
        # Nor is another form of the written word ("ocean" for oceans, which Moby lists together),
        # nor a single character: WordNet's symbols and figures ("i" or "1" for one, "s" for second
        # or siemens, "k" for thousand) are no spinner's source word (spinners write figures for
        # number words, not the reverse), and the simulator never spins one either.
        low = text.lower()
        cands = [c for c in self.lexicon.candidates(text)
                 if (c.text not in FUNCTION_WORDS or c.bits & _FUNCTION_LINK) and len(c.text) > 1
                 and (" " in c.text or not same_word(c.text, low))]
        if len(cands) > self.max_candidates:
            # The most frequent candidates are kept, in the lexicon's order (see ``frequency_order``).
            keep = set(frequency_order([c.text for c in cands])[: self.max_candidates])
            cands = [c for k, c in enumerate(cands) if k in keep]
        return cands

    def _phrase_candidates(self, phrase: tuple[str, ...], written_head: str, tail_tag: str | None = None) -> list:
        """Candidate originals of a multi-word written form, except one whose words the form itself
        holds ("sweet basil" is no spinner's "basil", "anti-inflammatory drug" none's
        "anti-inflammatory"; "press conference" may well be a spinner's "news conference"): WordNet
        lists such compounds as synonyms, but of the 57 multi-word forms in real spun pages only 2
        hold their original, and both are spinner rewrites ("together with"), which stay."""
        text = " ".join(phrase)
        return [c for c in self.lexicon.phrase_candidates(text, written_head, tail_tag)
                if c.bits & (_FILLER | _PARAPHRASE) or not _held_by(text, c.text)]

    def _raw_sites(self, doc: Doc, words: list[int]) -> list[tuple[int, int, str, "_CandidateSet"]]:
        """(first word pos, last word pos, written text, candidates) for single words and phrases."""
        toks = doc.tokens
        out = []
        pairs = self.lexicon.phrase_pairs
        lows = tuple(toks[i].text.lower() for i in words)
        singulars = [_singulars(w) for w in lows]  # most words are no plural: nothing to look up then
        n_words = len(words)
        for a, ti in enumerate(words):
            tok = toks[ti]
            low = lows[a]
            if tok.protected is None and low not in STOPWORDS and len(low) > 1:
                cset = self._candidate_set(self._word_sets, low, self._word_list, low, tok.text)
                if cset is not None:
                    out.append((a, a, tok.text, cset))
            if a + 1 >= n_words:
                continue
            second = lows[a + 1]
            # Phrases as listed, the first word in any of its forms ("signed up with"), the cheap
            # test first (the words after the head are the phrase's); then a noun phrase written in
            # the plural ("facial expressions" for aspects), which the lexicon lists in the singular:
            # its originals are put in the plural as well (memoised under their own key).
            found = [(phrase, None) for head in _phrase_heads(low) for phrase in pairs.get((head, second), ())
                     if a + len(phrase) <= n_words and lows[a + 2:a + len(phrase)] == phrase[2:]]
            if any(singulars[a + 1:a + _LONGEST_PHRASE]):
                found += [(phrase, "NNS") for phrase in _plural_phrases(pairs, lows, a, singulars)]
            for phrase, tail_tag in found:
                n = len(phrase)
                written = _phrase_text(doc, words, a, n)
                if written is None:
                    continue
                key = (phrase, low) if tail_tag is None else (phrase, low, tail_tag)
                cset = self._candidate_set(self._phrase_sets, key, self._phrase_list, phrase, low, tail_tag)
                if cset is not None:
                    out.append((a, a + n - 1, written, cset))
        return out

    def _score_sites(self, jobs: list[tuple[list[int], tuple[list[str], list[str]], tuple, np.ndarray]]) -> list[Site]:
        """Score sites, each given as (the sentence's word positions, its n-gram window (``left``: the
        last two words before it, after "<s>"; ``right``: the first two after it, before "</s>"; see
        ``_window``), its raw site (first and last word position, written text, candidates), its
        topic context vector (``TopicModel.contexts``)).

        Features are computed as columns over all sites at once: a document has a few hundred
        sites, and a Python expression per feature per site was a tenth or more of the fast profile's
        time."""
        if not jobs:
            return []
        lm = self.lm
        raws = [r for _, _, r, _ in jobs]
        written = self._wordings_of([r[2] for r in raws])
        w_forms = [w[_FORM] for w in written]
        csets = [r[3] for r in raws]
        if all(c.encoded is not None for c in csets):
            base, scores, bounds = lm.sites_logprobs([(left, wf, c.encoded, right) for (_, (left, right), _, _), wf, c
                                                      in zip(jobs, w_forms, csets)])
        else:  # a language model without a batch interface
            base = np.array([lm.window_logprob(left, wf, right) for (_, (left, right), _, _), wf in zip(jobs, w_forms)])
            scores = np.array([lm.window_logprob(left, list(m), right) for (_, (left, right), _, _), c in zip(jobs, csets)
                               for m in c.forms], dtype=float)
            bounds = np.cumsum([0] + [len(c.texts) for c in csets])
        bounds = np.asarray(bounds)
        log_fanout = np.concatenate([c.log_fanout for c in csets])
        # How well the written wording and each candidate fit the topic of the words around the site.
        topic_rows = np.concatenate([c.topic_rows for c in csets])
        site_fit, cand_fit = self.topic.site_fits(np.array([ctx for *_, ctx in jobs]),
                                                  np.array([w[_ROW] for w in written], dtype=np.int64),
                                                  topic_rows, bounds)
        # Restoration ranks candidates by a noisy channel: how the context reads with each (n-gram),
        # how it fits the topic, and how likely a spinner was to write this word for it (1 / fan-out).
        restore = scores + self.restore_topic * cand_fit - self.restore_fanout * log_fanout
        kbest, best, second, log_all, bayes, n_better, top = _sites_stats(scores, bounds, base, log_fanout,
                                                                         self.shortlist_size, restore)
        # The n-gram model's choice against the written wording, on topic (zero where either has no vector).
        chosen = bounds[:-1] + kbest
        topic_gain = np.where((site_fit[:, 0] > 0) & (topic_rows[chosen] >= 0), cand_fit[chosen] - site_fit[:, 1], 0.0)
        k_list = kbest.tolist()
        gain = best - base
        uni_w = np.array([w[_UNIGRAM] for w in written])
        uni_c = np.array([c.unigram[k] for c, k in zip(csets, k_list)])
        zw = np.array([zipf(r[2]) for r in raws])
        rel = np.array([c.rel_bits[k] for c, k in zip(csets, k_list)], dtype=np.int64)
        n_words = np.array([len(f) for f in w_forms], dtype=float)
        n_right = np.array([min(2, len(right)) for _, (_, right), _, _ in jobs], dtype=float)
        columns = (  # in SITE_FEATURES order
            _clip_array(gain, 25.0),  # lm_gain
            _clip_array(gain - (uni_c - uni_w), 25.0),  # context_gain
            zw,  # zipf_written
            np.array([zipf(c.texts[k]) for c, k in zip(csets, k_list)]) - zw,  # zipf_delta
            (rel & _WN_FIRST) != 0, (rel & _WN_LINKED) != 0, (rel & _MOBY) != 0, (rel & _FILLER) != 0,
            (rel & _PARAPHRASE) != 0,
            np.array([c.log_candidates for c in csets]),
            np.array([r[1] > r[0] for r in raws]),  # is_phrase
            _clip_array(-base / (n_words + n_right), 25.0),  # written_surprise
            np.array([w[_OOV] for w in written]),  # written_oov
            np.array([r[0] == 0 for r in raws]),  # sentence_initial
            _clip_array(np.where(second > -1e8, best - second, 10.0), 25.0),  # gain_margin
            _clip_array(base - log_all, 25.0),  # written_posterior
            _clip_array(bayes, 25.0),  # bayes_gain
            np.array([math.log1p(n) for n in n_better.tolist()]),  # log_rank
            site_fit[:, 0], site_fit[:, 1], site_fit[:, 2], topic_gain,  # TOPIC_FEATURES
        )
        rows = np.column_stack(columns).astype(float).tolist()
        out = []
        for (words, _, (a, b, text, cset), _), shortlist, features in zip(jobs, top.tolist(), rows):
            cased = cset.cased(text)
            out.append(Site(words[a], words[b], text, cased[shortlist[0]], relation_of(cset.rel_bits[shortlist[0]]),
                            dict(zip(SITE_FEATURES, features)), candidates=cased,
                            shortlist=tuple(cased[k] for k in shortlist if k >= 0), relations=cset.rel_bits))
        return out

    def _span(self, doc: Doc, s: Site) -> Span:
        start, end = doc.tokens[s.first].start, doc.tokens[s.last].end
        f = s.features
        ev = Evidence(lm_gain=f["lm_gain"], context_gain=f["context_gain"], zipf_written=f["zipf_written"],
                      zipf_suggestion=zipf(s.suggestion), relation=_relation_name(s.relation),
                      n_candidates=int(round(math.expm1(f["log_candidates"]))),
                      neural_gain=f["nn_gain"] if f.get("nn_exact") else None,
                      neural_probe=_sigmoid(f["nn_probe"]) if "nn_probe" in f else None)
        return Span(start, end, doc.text[start:end], s.suggestion, s.probability, ev)


_UNSEEN = object()  # a memo key not computed yet (None is a computed "no candidates")
_WN_FIRST, _MOBY, _FILLER = int(Relation.WN_FIRST), int(Relation.MOBY), int(Relation.FILLER)
_PARAPHRASE = int(Relation.PARAPHRASE)
# The decision models' ``rel_wn_any`` feature reads any WordNet link.
_WN_LINKED = int(WORDNET_LINK)
# A function word is a written word's candidate original only through these links.
_FUNCTION_LINK = _WN_LINKED | _PARAPHRASE


# What scoring needs of one wording, candidate or written, as (form, ids, topic row, unigram, oov):
# the n-gram model's words; their n-gram ids (None for a model without ``encode``); its row in the
# topic model's table (-1 without a vector); the summed unigram log-probability of its words; whether
# some word is outside the n-gram vocabulary. A plain tuple of plain values, which the garbage
# collector stops tracking (a NamedTuple stays tracked, and a scan holds a hundred thousand of them).
_Wording = tuple
_FORM, _IDS, _ROW, _UNIGRAM, _OOV = range(5)


class _CandidateSet:
    """A site's candidate originals with what scoring needs of each, computed once per list."""

    # Plain tuples of strings and numbers throughout: the garbage collector stops tracking those, and
    # a long scan holds a couple of hundred thousand of these sets.
    __slots__ = ("texts", "forms", "encoded", "topic_rows", "unigram", "log_fanout", "rel_bits", "log_candidates",
                 "_cased")

    def __init__(self, cands: CandidateList, wordings: list[_Wording]):
        self.texts = cands.texts
        self.forms = tuple(w[_FORM] for w in wordings)
        self.encoded = None  # the LM's own form of them (flat ids, words per candidate)
        if wordings[0][_IDS] is not None:
            self.encoded = (np.fromiter(chain.from_iterable(w[_IDS] for w in wordings), dtype=np.int64),
                            np.array([len(w[_IDS]) for w in wordings], dtype=np.int64))
        self.topic_rows = np.array([w[_ROW] for w in wordings], dtype=np.int64)
        self.unigram = tuple(w[_UNIGRAM] for w in wordings)
        self.log_fanout = np.log(np.array(cands.fanout, dtype=float))
        self.rel_bits = cands.bits
        self.log_candidates = math.log1p(len(cands.texts))
        self._cased: dict[int, tuple[str, ...]] = {}

    def cased(self, written: str) -> tuple[str, ...]:
        """Every candidate's text, case-matched to ``written`` (see ``_match_case``)."""
        style = 2 if written.isupper() and len(written) > 1 else 1 if written[:1].isupper() else 0
        out = self._cased.get(style)
        if out is None:
            out = self._cased[style] = tuple(_match_case(t, written) for t in self.texts)
        return out


@njit(cache=True)
def _candidate_stats(scores, base, log_fanout, k, rank):  # pragma: no cover - compiled
    """What the features need of a site's candidate scores, in one pass: the best (the first of
    equal best) and second-best scores, log of the summed probability of the written wording and
    all candidates, the Bayes evidence sum_c P(context | c) / fan-out(c) against the written
    wording (``np.logaddexp`` in order), how many candidates beat the written wording, and the
    ``k`` best indices by ``rank`` (the restoration order; ties in candidate order)."""
    n = len(scores)
    kbest, best, second = 0, scores[0], -1e9
    for i in range(1, n):
        x = scores[i]
        if x > best:
            second, best, kbest = best, x, i
        elif x > second:
            second = x
    top = max(best, base)
    acc = 0.0
    for i in range(n):
        acc += math.exp(scores[i] - top)
    log_all = top + math.log(math.exp(base - top) + acc)
    bayes = scores[0] - log_fanout[0]
    for i in range(1, n):
        y = scores[i] - log_fanout[i]
        if bayes == y:
            bayes = bayes + math.log(2.0)
        elif bayes > y:
            bayes = bayes + math.log1p(math.exp(y - bayes))
        else:
            bayes = y + math.log1p(math.exp(bayes - y))
    n_better = 0
    for i in range(n):
        if scores[i] > base:
            n_better += 1
    m = min(k, n)
    picked = np.zeros(n, dtype=np.bool_)
    order = np.empty(m, dtype=np.int64)
    for j in range(m):
        b = -1
        for i in range(n):
            if not picked[i] and (b < 0 or rank[i] > rank[b]):
                b = i
        picked[b] = True
        order[j] = b
    return kbest, best, second, log_all, bayes - base, n_better, order


@njit(cache=True)
def _sites_stats(scores, bounds, base, log_fanout, k, rank):  # pragma: no cover - compiled
    """``_candidate_stats`` of many sites at once: site i's candidates are
    ``scores[bounds[i]:bounds[i + 1]]`` (and ``rank[...]``); the shortlists are rows of ``top``,
    padded with -1."""
    n = len(bounds) - 1
    kbest = np.empty(n, dtype=np.int64)
    best = np.empty(n, dtype=np.float64)
    second = np.empty(n, dtype=np.float64)
    log_all = np.empty(n, dtype=np.float64)
    bayes = np.empty(n, dtype=np.float64)
    n_better = np.empty(n, dtype=np.int64)
    top = np.full((n, k), -1, dtype=np.int64)
    for i in range(n):
        lo, hi = bounds[i], bounds[i + 1]
        kb, b, s2, la, ba, nb, order = _candidate_stats(scores[lo:hi], base[i], log_fanout[lo:hi], k, rank[lo:hi])
        kbest[i], best[i], second[i], log_all[i], bayes[i], n_better[i] = kb, b, s2, la, ba, nb
        top[i, :len(order)] = order
    return kbest, best, second, log_all, bayes, n_better, top


def _window(lm_words: list[str], a: int, b: int, replaced: dict[int, str]) -> tuple[list[str], list[str]]:
    """The n-gram context of the site at word positions a..b: up to two words before it (after
    "<s>") and after it (then "</s>"), with ``replaced`` applied outside the site ("" removes a word).
    All a trigram model sees of the context (``window_logprob`` reads no further)."""
    if not replaced:  # the first pass: plain slices (no word of a sentence is empty)
        left = lm_words[max(0, a - 2):a]
        right = lm_words[b + 1:b + 3]
        return (left if len(left) == 2 else ["<s>", *left]), (right if len(right) == 2 else [*right, "</s>"])
    left: list[str] = []
    k = a - 1
    while k >= 0 and len(left) < 2:
        w = replaced.get(k, lm_words[k])
        if w:
            left.append(w)
        k -= 1
    if len(left) < 2:
        left.append("<s>")
    left.reverse()
    right: list[str] = []
    k, n = b + 1, len(lm_words)
    while k < n and len(right) < 2:
        w = replaced.get(k, lm_words[k])
        if w:
            right.append(w)
        k += 1
    if len(right) < 2:
        right.append("</s>")
    return left, right


def doc_features(doc: Doc, sites: Sequence[Site]) -> dict[str, float]:
    """Document-level evidence: how dense and how strong the suspicious sites are."""
    n_words = max(1, len(doc.words))
    probs = sorted((s.probability for s in sites), reverse=True)
    top = probs[:5] + [0.0] * max(0, 5 - len(probs))
    return {
        "density": 100.0 * sum(probs) / n_words,
        "mean_top": float(np.mean(top)),
        "max_prob": probs[0] if probs else 0.0,
        "log_words": math.log1p(n_words),
    }


def _doc_stats(sites: Sequence[Site]) -> dict[str, float]:
    """How odd the document is as a whole: mean Bayes gain, the share of clearly odd sites, and how
    well its suspect wordings fit their topic on average (a site is judged against that too)."""
    if not sites:
        return {"doc_bayes": 0.0, "doc_odd_share": 0.0, "doc_topic": 0.0}
    gains = _clipped(sites, "bayes_gain")
    fits = [s.features["topic_written"] for s in sites if s.features["topic_known"]]
    return {"doc_bayes": float(np.mean(gains)), "doc_odd_share": float(np.mean([g > 2.0 for g in gains])),
            "doc_topic": float(np.mean(fits)) if fits else 0.0}


def _clipped(sites: Sequence[Site], feature: str) -> list[float]:
    """A gain feature of every site, clipped to [-5, 10] nats so that a few wild sites cannot decide
    a document-level mean."""
    return [min(10.0, max(-5.0, s.features[feature])) for s in sites]


def _held_by(phrase: str, candidate: str) -> bool:
    """Whether every content word of ``candidate`` is a word (or a form of one) of ``phrase``."""
    words = [w for w in candidate.split() if w not in STOPWORDS]
    return bool(words) and all(holds_word(phrase, w, STOPWORDS) for w in words)


def _non_overlapping(sites: list[Site]) -> list[Site]:
    taken: list[Site] = []
    used: set[int] = set()
    for s in sorted(sites, key=lambda s: -s.probability):
        rng = set(range(s.first, s.last + 1))
        if rng & used:
            continue
        used |= rng
        taken.append(s)
    return sorted(taken, key=lambda s: s.first)


def _phrase_text(doc: Doc, words: list[int], a: int, n: int) -> str | None:
    """The text of the phrase site over word positions a .. a+n-1, or None where it cannot be one:
    a protected token after its first word, or punctuation inside it (a phrase never spans it)."""
    toks = [doc.tokens[words[a + k]] for k in range(n)]
    if any(t.protected for t in toks[1:]):
        return None
    if any(toks[k + 1].start - toks[k].end > 2 for k in range(n - 1)):
        return None
    return doc.text[toks[0].start:toks[-1].end]


def _plural_phrases(pairs: dict, lows: tuple[str, ...], a: int,
                    singulars: Sequence[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The lexicon's phrases written at word position ``a`` with their last word in the plural
    (and their other words as listed); ``singulars``: ``_singulars`` of each word of ``lows``."""
    found = []
    for n in range(2, min(len(lows) - a, _LONGEST_PHRASE) + 1):
        for singular in singulars[a + n - 1]:
            second = singular if n == 2 else lows[a + 1]
            for phrase in pairs.get((lows[a], second), ()):
                if len(phrase) == n and phrase[-1] == singular and phrase[2:n - 1] == lows[a + 2:a + n - 1]:
                    found.append(phrase)
    return found


_LONGEST_PHRASE = 4  # words: longer spun forms are rare ("twenty-four hour periods" is four)


@lru_cache(maxsize=200_000)
def _singulars(low: str) -> tuple[str, ...]:
    """The nouns ``low`` is the plural of (expressions -> expression); none for most words."""
    return tuple(lemma for lemma, tag in lemma_and_tags(low) if tag == "NNS" and lemma != low)


@lru_cache(maxsize=200_000)
def _phrase_heads(low: str) -> tuple[str, ...]:
    """The forms under which a phrase may start with ``low``: itself and its other lemmas (a lemma
    once per tag it can have, so "asked" heads "ask for" twice; the decision models were trained
    with those duplicate sites)."""
    return (low,) + tuple(lemma for lemma, _ in lemma_and_tags(low) if lemma != low)


@lru_cache(maxsize=200_000)
def _lm_form(text: str) -> str:
    """Lower case, hyphens and curly apostrophes normalised: the n-gram model's vocabulary."""
    return text.lower().replace("\u2019", "'").replace("-", " ")


def _match_case(suggestion: str, written: str) -> str:
    if written.isupper() and len(written) > 1:
        return suggestion.upper()
    if written[:1].isupper():
        return suggestion[:1].upper() + suggestion[1:]
    return suggestion


def _relation_name(rel: Relation) -> str:
    names = [n for n, bit in (("wordnet-sense", Relation.WN_FIRST), ("wordnet", Relation.WN_ANY),
                              ("wordnet-similar", Relation.WN_SIMILAR), ("moby", Relation.MOBY),
                              ("filler", Relation.FILLER), ("paraphrase", Relation.PARAPHRASE)) if rel & bit]
    return "+".join(names)


def _clip(x: float, lim: float) -> float:
    return max(-lim, min(lim, x))


def _clip_array(x: np.ndarray, lim: float) -> np.ndarray:
    return np.clip(x, -lim, lim)
