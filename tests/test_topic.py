"""Topic fit: word vectors, context windows, and the detector's candidate rules that feed it."""
import numpy as np
import pytest

from unspin.decide import Detector
from unspin.decide.detector import STOPWORDS
from unspin.evidence import TopicModel, default_topic_model
from unspin.evidence.frequency import zipf


@pytest.fixture(scope="module")
def topic():
    return default_topic_model(STOPWORDS)


def test_context_is_the_mean_of_the_words_either_side_without_the_site():
    words = ["a", "b", "c", "d", "e", "f"]
    vecs = np.eye(6, dtype=np.float32)
    tm = TopicModel(words, vecs, window=2, ignore=frozenset({"e"}))
    ctx = tm.contexts(words, [(2, 2), (0, 1), (5, 5)])
    # site "c": a, b before it, d and (ignored) e after it
    np.testing.assert_allclose(ctx[0], np.array([1, 1, 0, 1, 0, 0]) / np.sqrt(3), atol=1e-6)
    np.testing.assert_allclose(ctx[1], np.array([0, 0, 1, 1, 0, 0]) / np.sqrt(2), atol=1e-6)
    np.testing.assert_allclose(ctx[2], np.array([0, 0, 0, 1, 0, 0]), atol=1e-6)  # only d: e is ignored
    assert tm.contexts(["zz", "e"], [(0, 0)]).tolist() == [[0.0] * 6]  # nothing known: a zero row
    assert tm.vector(["e", "zz"]) is None


def test_vectors_know_the_topic_of_a_sentence(topic):
    words = "the troops advanced on the rebel positions after the general gave the order".split()
    ctx = topic.contexts(words, [(words.index("advanced"),) * 2])[0]
    fit = {w: float(topic.vector([w]) @ ctx) for w in ("advanced", "progressed", "soldiers", "recipe")}
    assert fit["soldiers"] > fit["recipe"] + 0.3
    rows = topic.rows([("soldiers",), ("of", "the"), ("troops", "zzqx"), ("armed", "forces")])
    assert rows[1] == -1 and rows[2] == topic.index["troops"]  # function and unknown words add nothing
    assert rows[3] == topic.row(["armed", "forces"]) >= len(topic.index)  # a phrase: a row of its own, once
    np.testing.assert_allclose(np.linalg.norm(topic.table[rows[rows >= 0]], axis=1), 1.0, atol=1e-5)


def test_site_fits_match_plain_cosines():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    tm = TopicModel(words, rng.normal(size=(30, 8)).astype(np.float32), window=3)
    ctx = tm.contexts(words, [(5, 5), (10, 11), (20, 20), (25, 25)])
    ctx[2] = 0.0  # a site without context: zeros
    cands = np.array([1, -1, 7, 2, 3, -1, -1, -1, -1])
    bounds = np.array([0, 3, 5, 7, 9])
    out, fits = tm.site_fits(ctx, np.array([4, 9, 12, 13]), cands, bounds)
    t = tm.table
    c1, c7 = t[1] @ ctx[0], t[7] @ ctx[0]
    np.testing.assert_allclose(out[0], [1, t[4] @ ctx[0], max(c1, c7) - t[4] @ ctx[0]], atol=1e-5)
    np.testing.assert_allclose(fits[:3], [c1, (c1 + c7) / 2, c7], atol=1e-5)  # unknown: the site's mean
    c2, c3 = t[2] @ ctx[1], t[3] @ ctx[1]
    np.testing.assert_allclose(out[1], [1, t[9] @ ctx[1], max(c2, c3) - t[9] @ ctx[1]], atol=1e-5)
    assert out[2].tolist() == [0, 0, 0] and fits[5:7].tolist() == [0, 0]  # no context: nothing
    np.testing.assert_allclose(out[3], [1, t[13] @ ctx[3], 0], atol=1e-5)  # no candidate known: no gain
    assert fits[7:].tolist() == [0, 0]


def test_detector_sites_carry_topic_features():
    from unspin.tokenize import tokenize

    det = Detector(passes=1)
    doc = tokenize("Leaders who satisfied in Geneva on Monday said they had made progress on a deal.")
    site = next(s for s in det.sites(doc) if s.written == "satisfied")
    assert site.features["topic_known"] == 1.0
    assert -1.0 <= site.features["topic_written"] <= 1.0
    assert site.features["topic_best_gain"] >= site.features["topic_gain"]


def test_said_is_a_candidate_original_but_never_a_site():
    from unspin.tokenize import tokenize

    det = Detector(passes=1)
    assert "said" in {c.text for c in det._word_candidates("formulated")}  # a Moby-only link
    doc = tokenize("The minister said the talks had stalled, officials stated.")
    written = {s.written for s in det.sites(doc)}
    assert "stated" in written and "said" not in written


def test_a_single_character_is_never_an_original():
    # WordNet lists "I" (the numeral) and "1" for one, "S" for second and siemens: symbols, which
    # flagged "one -> i" in a clean Wikipedia lead.
    det = Detector(passes=1)
    assert "i" in {c.text for c in det.lexicon.candidates("one")}
    for word in ("one", "second", "siemens", "thousand"):
        assert not [c.text for c in det._word_candidates(word) if len(c.text) == 1]


def test_a_function_word_is_an_original_through_wordnet_or_a_spinner_rewrite_only():
    det = Detector(passes=1)
    assert "in" in {c.text for c in det._word_candidates("within")}  # a synonym spinner's rewrite
    assert "but" in {c.text for c in det._word_candidates("however")}
    assert "in" in {c.text for c in det._word_candidates("successful")}  # WordNet's adjective "in"
    # Moby links "inside" to "in" as well, but neither WordNet nor a spinner's rewrite does.
    assert "in" in {c.text for c in det.lexicon.candidates("inside")}
    assert "in" not in {c.text for c in det._word_candidates("inside")}
    assert "about" in {c.text for c in det._phrase_candidates(("in", "regards", "to"), "in")}


def test_a_long_candidate_list_keeps_its_most_frequent_words():
    det = Detector(passes=1, max_candidates=20)
    full = [c.text for c in det.lexicon.candidates("expected")]
    kept = [c.text for c in det._word_candidates("expected")]
    assert len(full) > 20 and len(kept) == 20
    assert kept == [t for t in full if t in set(kept)]  # the lexicon's order among those kept
    assert min(zipf(t) for t in kept) >= max(zipf(t) for t in full if t not in set(kept))


def test_no_candidate_is_a_form_of_the_written_word_or_a_word_its_phrase_holds():
    # Moby lists "oceans" with "ocean", WordNet "sweet basil" with "basil": neither is a spinner's
    # substitute, and both were flagged on clean Wikipedia leads. Fillers keep their originals.
    from unspin.tokenize import tokenize

    det = Detector(passes=1)
    assert "ocean" not in {c.text for c in det._word_candidates("oceans")}
    assert "ocean" in {c.text for c in det.lexicon.candidates("oceans")}
    doc = tokenize("Sweet basil grows in warm places, and the cook has actually used it together with garlic.")
    sites = det.sites(doc)
    assert not any(s.written.lower() == "sweet basil" and "basil" in {c.lower() for c in s.candidates} for s in sites)
    assert any(s.written == "has actually" and "has" in s.candidates for s in sites)
    # A candidate with a word of its own is kept (a real spinner wrote "press conference" for it).
    sites = det.sites(tokenize("The minister spoke at a press conference in the capital."))
    assert any(s.written == "press conference" and "news conference" in s.candidates for s in sites)


def test_a_noun_phrase_written_in_the_plural_is_a_site_with_plural_originals():
    # The simulator (and a spinner) writes "facial expressions" for "aspects" and "security
    # deposits" for "margins"; the lexicon lists the phrases in the singular.
    from unspin.tokenize import tokenize

    det = Detector(passes=1)
    sites = det.sites(tokenize("Hormones control all facial expressions of growth, and banks took security deposits."))
    by_text = {s.written: s for s in sites}
    assert "aspects" in by_text["facial expressions"].candidates
    assert "margins" in by_text["security deposits"].candidates
    assert "aspect" not in by_text["facial expressions"].candidates  # the originals are plural too
    # Written in the singular, the phrase keeps its singular originals.
    singular = {s.written: s for s in det.sites(tokenize("A facial expression can say more than words."))}
    assert "aspect" in singular["facial expression"].candidates
    assert "aspects" not in singular["facial expression"].candidates
