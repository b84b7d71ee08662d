"""The boosted-tree site model: LightGBM's trees walked by unspin's own code give LightGBM's
predictions, survive the JSON round trip inside a decision model, and refuse splits they would misread."""
import json

import numpy as np
import pytest

from unspin.decide import DecisionModel
from unspin.decide.trees import SiteTrees


def interaction_data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (((X[:, 0] > 0.3) & (X[:, 1] < 0)) | (X[:, 2] > 1.5)).astype(float)
    return X, y


def test_walk_matches_lightgbm_to_the_last_bit():
    lgb = pytest.importorskip("lightgbm", reason="install unspin[train] (the test extra includes it)")
    X, y = interaction_data()
    booster = lgb.train({"objective": "binary", "num_leaves": 7, "learning_rate": 0.2, "verbose": -1,
                         "deterministic": True, "force_row_wise": True}, lgb.Dataset(X, y), num_boost_round=40)
    trees = SiteTrees.from_lightgbm(booster.dump_model(), ("a", "b", "c"))
    Xt, yt = interaction_data(500, seed=1)
    assert trees.n_trees == 40
    np.testing.assert_array_equal(trees.predict(Xt), booster.predict(Xt))
    assert ((trees.predict(Xt) >= 0.5) == yt).mean() > 0.95  # it learned the interaction


def test_fit_is_deterministic_and_round_trips_through_a_decision_model(tmp_path):
    pytest.importorskip("lightgbm", reason="install unspin[train] (the test extra includes it)")
    X, y = interaction_data()
    trees = SiteTrees.fit(X, y, ("a", "b", "c"), leaves=7, rounds=30, learning_rate=0.2, min_leaf=20)
    again = SiteTrees.fit(X, y, ("a", "b", "c"), leaves=7, rounds=30, learning_rate=0.2, min_leaf=20)
    np.testing.assert_array_equal(trees.predict(X[:50]), again.predict(X[:50]))
    model = DecisionModel({}, 0.0, {"density": 1.0}, -1.0, site_threshold=0.8, site_model=trees)
    path = tmp_path / "m.json"
    model.save(str(path))
    back = DecisionModel.load(str(path))
    assert isinstance(back.site_model, SiteTrees)
    sites = [{"a": float(a), "b": float(b), "c": float(c)} for a, b, c in X[:50]]
    np.testing.assert_array_equal(back.site_probabilities(sites), model.site_probabilities(sites))


def test_a_hand_built_tree_goes_left_at_or_below_its_threshold():
    # one tree: x0 <= 1.0 ? leaf 0 (-2) : (x1 <= 0.0 ? leaf 1 (0) : leaf 2 (+2)); plus a one-leaf tree (+0.5)
    dump = {"tree_info": [
        {"tree_structure": {"split_feature": 0, "threshold": 1.0, "decision_type": "<=", "missing_type": "None",
                            "left_child": {"leaf_value": -2.0},
                            "right_child": {"split_feature": 1, "threshold": 0.0, "decision_type": "<=",
                                            "missing_type": "None", "left_child": {"leaf_value": 0.0},
                                            "right_child": {"leaf_value": 2.0}}}},
        {"tree_structure": {"leaf_value": 0.5}}]}
    trees = SiteTrees.from_lightgbm(dump, ("x0", "x1"))
    X = np.array([[1.0, 5.0], [1.0000001, -1.0], [3.0, 0.1]])
    z = np.log(trees.predict(X) / (1 - trees.predict(X)))
    np.testing.assert_allclose(z, [-1.5, 0.5, 2.5], atol=1e-9)
    back = SiteTrees.from_dict(json.loads(json.dumps(trees.to_dict())))
    np.testing.assert_array_equal(back.predict(X), trees.predict(X))


def test_a_categorical_split_is_refused():
    dump = {"tree_info": [{"tree_structure": {"split_feature": 0, "threshold": "1||2", "decision_type": "==",
                                              "left_child": {"leaf_value": 1.0}, "right_child": {"leaf_value": 0.0}}}]}
    with pytest.raises(ValueError, match="unsupported split"):
        SiteTrees.from_lightgbm(dump, ("x0",))


def test_the_shipped_models_are_well_formed_trees_over_what_the_detector_computes():
    """A feature the detector no longer computes would read as 0 at every site, silently; a node
    pointing outside the arrays would read memory the walk does not own."""
    from unspin.decide import FEATURES
    from unspin.decide.rescore import NEURAL_FEATURES, accurate_model_path

    for model, features in ((DecisionModel.load(), FEATURES), (DecisionModel.load(accurate_model_path()), NEURAL_FEATURES)):
        trees = model.site_model
        assert isinstance(trees, SiteTrees) and trees.features == tuple(features)
        n_nodes, n_leaves = len(trees.feature), len(trees.leaf_value)
        assert ((trees.feature >= 0) & (trees.feature < len(features))).all()
        for child in (trees.left, trees.right, trees.roots):
            assert ((child < n_nodes) & (~child < n_leaves)).all()
        assert n_nodes + trees.n_trees == n_leaves  # every tree: one leaf more than its splits
