"""The decision model: the small network, its JSON round trip, and the document-aware threshold."""
import json
import sys

import numpy as np

from unspin.decide import DecisionModel
from unspin.decide.mlp import SiteMLP


def xor_data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(float)
    return X, y


def test_mlp_learns_an_interaction_a_linear_model_cannot():
    X, y = xor_data()
    mlp = SiteMLP.fit(X, y, ("a", "b"), hidden=8, epochs=800, lr=0.05)
    Xt, yt = xor_data(seed=1)
    accuracy = ((mlp.predict(Xt) >= 0.5) == yt).mean()
    assert accuracy > 0.9
    p = mlp.predict(Xt)
    assert ((p > 0) & (p < 1)).all()


def test_mlp_row_weights_decide_between_conflicting_rows():
    # The same inputs labelled both ways: the rows with the larger weight win, and equal weights
    # train exactly the unweighted model.
    X, _ = xor_data(200)
    Xd, yd = np.vstack([X, X]), np.r_[np.ones(200), np.zeros(200)]
    for heavy, side in ((1, lambda p: p > 0.7), (0, lambda p: p < 0.3)):
        w = np.where(yd == heavy, 4.0, 1.0)
        assert side(SiteMLP.fit(Xd, yd, ("a", "b"), hidden=4, epochs=200, weights=w).predict(X)).all()
    plain = SiteMLP.fit(Xd, yd, ("a", "b"), hidden=4, epochs=50)
    even = SiteMLP.fit(Xd, yd, ("a", "b"), hidden=4, epochs=50, weights=np.full(400, 3.0))
    assert np.allclose(plain.predict(X), even.predict(X))


def test_model_round_trip_keeps_probabilities_and_thresholds(tmp_path):
    X, y = xor_data(200)
    mlp = SiteMLP.fit(X, y, ("a", "b"), hidden=4, epochs=50)
    model = DecisionModel({}, 0.0, {"density": 1.0}, -1.0, site_threshold=0.9, doc_threshold=0.6,
                          site_threshold_spun=0.4, site_model=mlp)
    path = tmp_path / "m.json"
    model.save(str(path))
    back = DecisionModel.load(str(path))
    f = {"a": 0.3, "b": -1.2}
    assert abs(back.site_probability(f) - model.site_probability(f)) < 1e-12
    assert back.site_threshold_for(0.59) == 0.9  # below the verdict: the strict threshold
    assert back.site_threshold_for(0.6) == 0.4  # a document judged spun: the weaker one
    plain = DecisionModel({"a": 1.0}, 0.0, {}, 0.0, site_threshold=0.7)
    assert plain.site_threshold_for(0.99) == 0.7  # no spun-document threshold: one everywhere


def load_training_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "train_decision.py"
    spec = importlib.util.spec_from_file_location("train_decision", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_decision"] = module  # a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_site_thresholds_keep_clean_text_within_the_flag_budget():
    td = load_training_script()
    rng = np.random.default_rng(0)
    # 1,000 clean-document sites (noise) and 1,000 spun-document sites, a quarter of them spun.
    p_clean = rng.uniform(0, 0.7, 1000)
    y_spun = (rng.uniform(size=1000) < 0.25).astype(float)
    p_spun = np.where(y_spun == 1, rng.uniform(0.3, 1.0, 1000), rng.uniform(0, 0.6, 1000))
    p = np.concatenate([p_clean, p_spun])
    y = np.concatenate([np.zeros(1000), y_spun])
    clean = np.concatenate([np.ones(1000, bool), np.zeros(1000, bool)])
    judged_spun = ~clean
    hi, lo, f1 = td.choose_site_thresholds(p, y, clean, judged_spun, clean_words=5000, max_flags=2.0)
    assert (p_clean >= hi).sum() <= 10  # 2 per 1,000 of 5,000 clean words
    assert lo < hi  # weaker evidence suffices inside a document judged spun
    flag = p_spun >= lo
    assert f1 > 0.5 and flag[y_spun == 1].mean() > 0.5


def test_extra_clean_documents_count_for_the_budget_and_not_for_f1():
    td = load_training_script()
    rng = np.random.default_rng(3)
    y_spun = (rng.uniform(size=1000) < 0.25).astype(float)
    p_spun = np.where(y_spun == 1, rng.uniform(0.3, 1.0, 1000), rng.uniform(0, 0.6, 1000))
    p_extra = rng.uniform(0, 0.8, 1000)  # extra clean sites, in documents not judged spun
    p = np.concatenate([p_spun, p_extra])
    y = np.concatenate([y_spun, np.zeros(1000)])
    clean = np.concatenate([np.zeros(1000, bool), np.ones(1000, bool)])
    judged_spun = ~clean
    in_f1 = ~clean
    hi, lo, f1 = td.choose_site_thresholds(p, y, clean, judged_spun, 5000, 2.0, in_f1=in_f1)
    assert (p_extra >= hi).sum() <= 10  # the budget holds on the extra clean words
    flag = p_spun >= lo
    tp, fp, fn = (flag & (y_spun == 1)).sum(), (flag & (y_spun == 0)).sum(), (~flag & (y_spun == 1)).sum()
    assert f1 == 2 * tp / (2 * tp + fp + fn)  # F1 of the dev sites alone
    alone = td.choose_site_thresholds(p_spun, y_spun, np.zeros(1000, bool), np.ones(1000, bool), 5000, 2.0)
    assert (lo, f1) == alone[1:]  # the spun documents' threshold is unaffected


def test_spun_sites_outside_f1_count_for_neither_hits_nor_misses():
    """Spun short windows join dev for the document model; the site thresholds' F1 stays that of
    the whole dev documents (a window's substitutions were once counted as misses)."""
    td = load_training_script()
    rng = np.random.default_rng(5)
    y_dev = (rng.uniform(size=1000) < 0.25).astype(float)
    p_dev = np.where(y_dev == 1, rng.uniform(0.3, 1.0, 1000), rng.uniform(0, 0.6, 1000))
    y_win = np.ones(300)  # every window site a substitution, none found
    p = np.concatenate([p_dev, np.zeros(300)])
    y = np.concatenate([y_dev, y_win])
    no_clean = np.zeros(1300, bool)
    in_f1 = np.arange(1300) < 1000
    with_windows = td.choose_site_thresholds(p, y, no_clean, np.ones(1300, bool), 5000, 2.0, in_f1=in_f1)
    alone = td.choose_site_thresholds(p_dev, y_dev, no_clean[:1000], np.ones(1000, bool), 5000, 2.0)
    assert with_windows == alone


def test_windows_are_runs_of_whole_sentences_drawn_reproducibly():
    td = load_training_script()
    from unspin.eval.corpora import Document

    text = " ".join(f"Sentence number {k} says something about item {k}." for k in range(10))
    docs = [("bbc", Document("a", text)), ("wiki", Document("b", "Only one sentence here."))]
    first, again = td.windows(docs, 3, seed=1), td.windows(docs, 3, seed=1)
    assert first == again
    (c1, w1), (c2, w2) = first
    assert (c1, c2) == ("bbc", "wiki")
    assert w1.text in text and w1.text.startswith("Sentence number") and w1.text.endswith(".")
    assert w1.text.count("Sentence number") == 3
    assert w2.text == "Only one sentence here."  # shorter than a window: kept whole
    assert w1.id.startswith("a#")


def test_a_tolerance_trades_a_little_dev_f1_for_precision():
    td = load_training_script()
    rng = np.random.default_rng(2)
    y_spun = (rng.uniform(size=2000) < 0.25).astype(float)
    p_spun = np.where(y_spun == 1, rng.uniform(0.2, 1.0, 2000), rng.uniform(0, 0.8, 2000))
    clean, judged_spun = np.zeros(2000, bool), np.ones(2000, bool)
    args = (p_spun, y_spun, clean, judged_spun, 10_000, 2.0)
    _, lo, f1 = td.choose_site_thresholds(*args)
    _, lo_tol, f1_tol = td.choose_site_thresholds(*args, f1_tolerance=0.02)
    assert f1 - 0.02 <= f1_tol <= f1 and lo_tol > lo
    precision = lambda t: y_spun[p_spun >= t].mean()
    assert precision(lo_tol) > precision(lo)
    assert td.choose_site_thresholds(*args, f1_tolerance=0.0) == (td.choose_site_thresholds(*args))


def test_the_flag_budget_and_the_verdict_hold_in_each_genre():
    td = load_training_script()
    rng = np.random.default_rng(1)
    # Clean news: 20,000 words and quiet; clean encyclopedia leads: 2,000 words and noisier.
    p_news, p_leads = rng.uniform(0, 0.6, 1000), rng.uniform(0, 0.9, 200)
    y_spun = (rng.uniform(size=1000) < 0.25).astype(float)
    p_spun = np.where(y_spun == 1, rng.uniform(0.3, 1.0, 1000), rng.uniform(0, 0.6, 1000))
    p = np.concatenate([p_news, p_leads, p_spun])
    y = np.concatenate([np.zeros(1200), y_spun])
    clean = np.concatenate([np.ones(1200, bool), np.zeros(1000, bool)])
    genre = np.array(["news"] * 1000 + ["leads"] * 200 + ["news"] * 1000)
    words = {"news": 20_000, "leads": 2_000}
    judged_spun = np.zeros(len(p), bool)  # one threshold everywhere
    hi, _, _ = td.choose_site_thresholds(p, y, clean, judged_spun, words, 2.0, genre)
    assert (p_leads >= hi).sum() <= 4  # 2 per 1,000 of the leads' own 2,000 words
    pooled_hi, _, _ = td.choose_site_thresholds(p, y, clean, judged_spun, 22_000, 2.0)
    assert (p_leads >= pooled_hi).sum() > 4  # pooled, the news words would hide them

    doc_p = np.array([0.1, 0.2, 0.95, 0.3] + [0.1] * 30 + [0.99] * 10)
    spun = np.array([False] * 34 + [True] * 10)
    g = np.array(["leads"] * 4 + ["news"] * 30 + ["news"] * 10)
    assert td.doc_threshold(doc_p, spun, g, 0.03) > 0.95  # the leads' one clean document at 0.95 stays clean


def test_a_new_suggestion_brings_its_own_relation():
    """The neural rescorer may pick another candidate than the n-gram one: the explanation must then
    name that candidate's relation to the written word, not the first one's."""
    from unspin.decide.detector import Site
    from unspin.lexicon import Relation

    site = Site(3, 3, "satisfied", "pleased", Relation.MOBY, candidates=("pleased", "met"),
                relations=(int(Relation.MOBY), int(Relation.WN_ANY | Relation.WN_FIRST)))
    site.suggest("met")
    assert site.suggestion == "met" and site.relation == Relation.WN_ANY | Relation.WN_FIRST


def test_document_weights_never_penalise_more_evidence():
    """Two correlated signals of spinning: unconstrained, one gets a negative weight, and a document
    with even more suspicious sites would score lower. The monotone fit keeps every weight >= 0."""
    td = load_training_script()
    rng = np.random.default_rng(2)
    y = (rng.uniform(size=600) < 0.5).astype(float)
    a = y + rng.normal(0, 0.6, 600)
    b = 0.9 * a + rng.normal(0, 0.3, 600) - 0.4 * y  # mostly a, a little against the label
    X = np.column_stack([a, b, rng.normal(size=600)])
    names = ("mean_top", "density", "log_words")
    free, _ = td.fit_logistic(X, y, l2=0.3)
    assert free[1] < 0  # the artefact the constraint is for
    coef, _ = td.fit_monotone_logistic(X, y, names, ("mean_top", "density"), l2=0.3)
    assert coef[0] > 0 and coef[1] == 0.0


def test_document_weights_can_give_two_sets_of_rows_equal_say():
    """75 whole documents and 600 short windows: weighted into halves, the documents' own relation
    is not outvoted by the windows' number."""
    td = load_training_script()
    rng = np.random.default_rng(4)
    names = ("mean_top", "log_words")
    y_doc, y_win = (rng.uniform(size=75) < 0.5).astype(float), (rng.uniform(size=600) < 0.5).astype(float)
    x_doc = np.column_stack([3.0 * y_doc + rng.normal(0, 1, 75), rng.normal(6, 0.3, 75)])
    x_win = np.column_stack([1.0 * y_win + rng.normal(0, 1, 600), rng.normal(4, 0.3, 600)])
    X, y = np.vstack([x_doc, x_win]), np.r_[y_doc, y_win]
    alone, _ = td.fit_monotone_logistic(x_doc, y_doc, names, ("mean_top",), l2=0.3)
    by_count, _ = td.fit_monotone_logistic(X, y, names, ("mean_top",), l2=0.3)
    halves = np.r_[np.full(75, 600 / 75), np.ones(600)]
    weighted, _ = td.fit_monotone_logistic(X, y, names, ("mean_top",), l2=0.3, weights=halves)
    assert abs(weighted[0] - alone[0]) < abs(by_count[0] - alone[0])


def test_the_neural_queries_carry_every_setting_of_the_rescorer():
    """Each site's query holds its own text's offsets and the rescorer's settings: a setting passed
    in the wrong place (once, a new field as the words of right context) scores every site without
    right context, and nothing else notices."""
    from types import SimpleNamespace

    from unspin.decide import Detector
    from unspin.decide.rescore import NeuralRescorer
    from unspin.tokenize import tokenize

    doc = tokenize("Putin asked for the call. Leaders who satisfied in Geneva signed a composed dedication.")
    sites = Detector().sites(doc)
    rescorer = NeuralRescorer(lm=SimpleNamespace(), model=DecisionModel.heuristic(), ngram_picks=2, left_picks=4,
                              right_words=5)
    texts, queries, owners = rescorer.queries(doc, sites)
    assert len(texts) == 2 and sum(map(len, owners)) == len(sites)
    for text, qs, here in zip(texts, queries, owners):
        for q, s in zip(qs, here):
            assert text[q.start:q.end] == s.written
            assert (q.left_picks, q.right_words) == (4, 5)
            assert list(q.shortlist) == list(s.shortlist[:2])
            assert q.min_left_gain == (None if s.probability >= rescorer.exact_min_prob else rescorer.exact_min_left_gain)


def test_a_decision_model_that_reads_the_probe_refuses_a_model_without_one():
    """Absent, the probe's feature would read as 0 at every site: wrong decisions without an error."""
    from types import SimpleNamespace

    import pytest

    from unspin.decide.rescore import NeuralRescorer, accurate_model_path
    from unspin.evidence.neural import NeuralUnavailable

    shipped = DecisionModel.load(accurate_model_path())
    assert "nn_probe" in shipped.site_model.features
    with pytest.raises(NeuralUnavailable, match="reads the neural probe"):
        NeuralRescorer(lm=SimpleNamespace(name="smollm2-135m", probe=None), model=shipped)
    NeuralRescorer(lm=SimpleNamespace(name="smollm2-135m", probe=object()), model=shipped)


def test_the_decision_model_never_trains_on_the_probes_documents():
    import pytest

    from unspin.evidence.probe import SiteProbe

    td = load_training_script()
    probe = SiteProbe(layer=20, dim=2, meta={"skip_per_corpus": 200, "documents": "shuffled"})
    td.probe_overlap(probe, 40, shuffled=True)  # the first 40 of the same order: disjoint
    td.probe_overlap(None, 500, shuffled=False)  # no probe, nothing to overlap
    with pytest.raises(SystemExit, match="past the first 200"):
        td.probe_overlap(probe, 300, shuffled=True)
    with pytest.raises(SystemExit, match="with --shuffled"):
        td.probe_overlap(probe, 40, shuffled=False)  # another order: any document may be the probe's


def test_the_feature_cache_is_reused_only_for_a_document_drawn_the_same_way(tmp_path):
    from unspin.eval.corpora import Document

    td = load_training_script()

    class CountingDetector:  # no sites: what matters is which documents are computed
        calls = 0

        def sites(self, doc):
            self.calls += 1
            return []

    docs = [("bbc", Document("d1", "The minister met officials in Geneva on Monday to discuss the border."))]
    cache = str(tmp_path / "train.jsonl")
    det = CountingDetector()
    first = td.collect(det, docs, seed=1, spun_share=1.0, cache=cache, styles=("phrase",))
    again = td.collect(det, docs, seed=1, spun_share=1.0, cache=cache, styles=("phrase",))
    assert det.calls == 1 and again == first  # read back from the cache
    other = td.collect(det, docs, seed=1, spun_share=1.0, cache=cache, styles=("wordnet",))
    assert det.calls == 2 and (first[0]["style"], other[0]["style"]) == ("phrase", "wordnet")


def test_a_file_written_before_trees_still_loads_its_network():
    """Decision files from before boosted trees hold the network under ``site_mlp`` with no kind
    (the shipped Gemma model is one); they must load as the network, not fail or read as logistic."""
    from unspin.decide.rescore import accurate_model_path

    with open(accurate_model_path("gemma3-270m"), encoding="utf-8") as fh:
        raw = json.load(fh)
    assert "site_mlp" in raw and "kind" not in raw["site_mlp"]
    model = DecisionModel.load(accurate_model_path("gemma3-270m"))
    assert isinstance(model.site_model, SiteMLP) and model.site_features == tuple(raw["site_mlp"]["features"])
    f = dict.fromkeys(model.site_features, 0.5)
    assert 0.0 < model.site_probability(f) < 1.0
