"""The quality bench runs end to end on tiny settings and writes the JSON later runs compare against."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load_bench():
    spec = importlib.util.spec_from_file_location("quality_bench", ROOT / "bench" / "quality.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their module's annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


def _unit_figures(fig: dict):
    """Every figure of one system that is a rate or probability."""
    yield fig["fpr"]
    for key in ("precision", "recall", "f1"):
        yield fig["span"][key]
    for key in ("precision_with_clean", "auroc", "tpr", "ece"):
        if fig.get(key) is not None:
            yield fig[key]
    if "restoration" in fig:
        yield fig["restoration"]["exact_over_found"]
        yield fig["restoration"]["exact_over_all"]


def test_quality_bench_tiny(tmp_path, capsys):
    bench = _load_bench()
    out = tmp_path / "quality.json"
    assert bench.main(["--docs", "2", "--dev-docs", "2", "--train-docs", "2", "--styles", "mixed",
                       "--rates", "0.3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| config |" in printed and str(out) in printed

    result = json.loads(out.read_text())
    assert set(result) >= {"meta", "timing", "baselines", "rows"}
    assert result["meta"]["docs"] == 2
    assert [r["config"] for r in result["rows"]] == ["clean", "mixed 30%"]
    assert result["timing"]["docs_per_s"] > 0
    assert 1.0 <= result["baselines"]["rare_word"]["zipf_threshold"] <= 5.0
    for row in result["rows"]:
        assert set(row["systems"]) == {"unspin", "rare_word", "known_list"}
        for name, fig in row["systems"].items():
            assert fig["flags_per_1k_words_clean"] >= 0
            for x in _unit_figures(fig):
                assert isinstance(x, float) and not math.isnan(x) and 0.0 <= x <= 1.0, (row["config"], name, x)
    spun = result["rows"][1]
    assert spun["n_gold"] > 0
    assert {"auroc", "restoration", "ece", "span_f1_ci", "auroc_ci"} <= set(spun["systems"]["unspin"])
    u = spun["systems"]["unspin"]
    # not a law of percentile intervals, but true of this seeded two-document row
    assert u["span_f1_ci"][0] <= u["span"]["f1"] <= u["span_f1_ci"][1]
    assert 0.0 <= u["auroc_ci"][0] <= u["auroc_ci"][1] <= 1.0
    assert spun["systems"]["rare_word"]["restoration"]["exact_over_all"] == 0.0  # no suggestions


def test_quality_bench_dev_split_measures_dev_documents_and_tunes_the_baselines_elsewhere(tmp_path, capsys):
    from unspin.eval.corpora import load_documents

    bench = _load_bench()
    out = tmp_path / "quality_dev.json"
    assert bench.main(["--split", "dev", "--docs", "2", "--dev-docs", "2", "--train-docs", "2", "--styles",
                       "mixed", "--rates", "0.3", "--out", str(out)]) == 0
    assert "bbc dev," in capsys.readouterr().out
    meta = json.loads(out.read_text())["meta"]
    assert meta["split"] == "dev" and meta["tuning_split"] == "train"
    dev_ids = {d.id for d in load_documents("bbc", "dev")}
    assert meta["doc_ids"] and set(meta["doc_ids"]) <= dev_ids
