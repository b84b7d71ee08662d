import json

import pytest

from unspin.eval.simulator import STYLES, Spinner, apply_edits, quote_spans
from unspin.lexicon import default_lexicon

TEXT = (
    "The general met the king on the second day. He ordered his troops to march between the two "
    "rivers, and he has asked them to join the army before the third week.\n\n"
    "\u201cWe will never surrender to the enemy,\u201d he said. Officials said the meeting was long. "
    "Two reporters asked \"why has the army moved between villages?\" and waited.\n\n"
    "Rod Eddington, the chief executive, said profits rose 40% in 2004 at Microsoft."
)


@pytest.fixture(scope="module")
def lx():
    return default_lexicon()


def check_alignment(r):
    assert apply_edits(r.original, r.edits) == r.spun
    prev_end = -1
    for e in r.edits:
        assert r.original[e.orig_start:e.orig_end] == e.original
        assert r.spun[e.spun_start:e.spun_end] == e.replacement
        assert e.orig_start >= prev_end  # sorted, never overlapping
        prev_end = e.orig_end
        assert e.replacement != e.original
    # offsets are consistent: the text between edits is unchanged
    shift = 0
    for e in r.edits:
        assert e.spun_start == e.orig_start + shift
        shift += len(e.replacement) - len(e.original)
    assert len(r.spun) == len(r.original) + shift


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("rate", [0.0, 0.3, 1.0])
def test_alignment_exact(lx, style, rate):
    r = Spinner(style, rate, seed=3, lexicon=lx).spin(TEXT)
    check_alignment(r)
    if rate == 0.0:
        assert r.spun == TEXT and not r.edits
    if rate == 1.0 and style not in ("numbers", "paraphrase"):  # TEXT holds few number and function words
        assert len(r.edits) >= 5
    assert all(e.kind in ("sense", "nosense", "phrase", "numbers", "wordnet", "paraphrase") for e in r.edits)
    if style != "mixed":
        assert {e.kind for e in r.edits} <= {style}
    else:  # the realistic default keeps the rows of earlier releases comparable
        assert {e.kind for e in r.edits} <= {"nosense", "phrase", "numbers"}


def test_rate_counts(lx):
    n = {rate: len(Spinner("nosense", rate, 1, lexicon=lx).spin(TEXT).edits) for rate in (0.2, 0.5, 1.0)}
    assert 0 < n[0.2] < n[0.5] < n[1.0]
    assert n[0.5] == round(0.5 * n[1.0])


def test_deterministic_by_seed(lx):
    a = Spinner("mixed", 0.4, seed=7, lexicon=lx).spin(TEXT)
    b = Spinner("mixed", 0.4, seed=7, lexicon=lx).spin(TEXT)
    c = Spinner("mixed", 0.4, seed=8, lexicon=lx).spin(TEXT)
    assert a.spun == b.spun and a.edits == b.edits
    assert a.spun != c.spun


def test_quotes_untouched(lx):
    spans = quote_spans(TEXT)
    assert len(spans) == 2
    for style in STYLES:
        r = Spinner(style, 1.0, seed=2, spin_quotes=False, lexicon=lx).spin(TEXT)
        check_alignment(r)
        for e in r.edits:
            assert not any(s <= e.orig_start < q for s, q in spans), e
    r = Spinner("mixed", 1.0, seed=2, spin_quotes=True, lexicon=lx).spin(TEXT)
    assert any(any(s <= e.orig_start < q for s, q in spans) for e in r.edits)


def test_protected_tokens_untouched(lx):
    r = Spinner("mixed", 1.0, seed=1, lexicon=lx).spin(TEXT)
    touched = {e.original for e in r.edits}
    assert not touched & {"Rod", "Eddington", "Microsoft", "2004", "40"}


def test_styles_examples(lx):
    num = Spinner("numbers", 1.0, 0, lexicon=lx).spin(TEXT)
    assert {(e.original, e.replacement) for e in num.edits} >= {("second", "2nd"), ("two", "2"),
                                                                 ("third", "3rd"), ("Two", "2")}
    ph = Spinner("phrase", 1.0, 0, lexicon=lx)
    assert "has actually" in [f for f, _ in ph.options("has")["phrase"]]
    assert "in between" in [f for f, _ in ph.options("between")["phrase"]]
    assert "sign up with" in [f for f, _ in ph.options("join")["phrase"]]
    ns = Spinner("nosense", 1.0, 0, lexicon=lx)
    assert "satisfied" in [f for f, _ in ns.options("met")["nosense"]]  # inflection kept
    assert "bought" in [f for f, _ in ns.options("ordered")["nosense"]]
    assert not ns.options("the")  # stopwords are not spun
    se = Spinner("sense", 1.0, 0, lexicon=lx)
    assert "encountered" in [f for f, _ in se.options("met")["sense"]]
    assert "satisfied" not in [f for f, _ in se.options("met").get("sense", [])]


def test_wordnet_style_spins_function_words_through_wordnet(lx):
    wn = Spinner("wordnet", 1.0, 0, lexicon=lx)

    def forms(word):
        return {f for f, _ in wn.options(word).get("wordnet", [])}

    assert "astatine" in forms("at") and "helium" in forms("he")  # however rare
    assert "successful" in forms("in") and "connected" in forms("on")  # adjective similarity
    assert "satisfied" in forms("met")
    assert "bought" not in forms("ordered")  # Moby's link, not WordNet's
    assert not wn.options("a")  # single letters are left alone
    r = wn.spin(TEXT)
    check_alignment(r)
    assert {e.original for e in r.edits} & {"at", "he", "on", "in", "as"}


def test_paraphrase_style_rewrites_function_words_as_synonym_spinners_do(lx):
    pa = Spinner("paraphrase", 1.0, 0, lexicon=lx)

    def forms(word):
        return {f for f, _ in pa.options(word).get("paraphrase", [])}

    assert "within" in forms("in") and "however" in forms("but")
    assert "earlier than" in forms("before") and "in regards to" in forms("about")
    assert not pa.options("met") and not pa.options("the")  # content words are other styles' work
    r = pa.spin(TEXT)
    check_alignment(r)
    assert {(e.original, e.replacement) for e in r.edits} & {("before", "earlier than"), ("before", "prior to")}
    assert not Spinner("mixed", 1.0, 0, lexicon=lx).options("in")  # mixed never writes them


def test_capitalisation_kept(lx):
    r = Spinner("nosense", 1.0, 0, lexicon=lx).spin("Officials met the king.")
    check_alignment(r)
    first = [e for e in r.edits if e.orig_start == 0]
    assert first and first[0].replacement[0].isupper()


def test_gold_json_roundtrip(lx):
    r = Spinner("mixed", 0.3, 0, lexicon=lx).spin(TEXT)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["spun"] == r.spun and len(d["edits"]) == len(r.edits)
    assert r.gold_spans() == [(e.spun_start, e.spun_end) for e in r.edits]


def test_bad_arguments(lx):
    with pytest.raises(ValueError):
        Spinner("fancy", 0.1, lexicon=lx)
    with pytest.raises(ValueError):
        Spinner("mixed", 1.5, lexicon=lx)


def test_phrase_style_writes_no_compound_holding_the_word_itself(lx):
    # WordNet offers "mathematical group" for group and "natural gas" for gas; real spinners'
    # multi-word forms almost never hold their original (fillers such as "in between" excepted).
    ph = Spinner("phrase", 1.0, 0, lexicon=lx)
    for word in ("group", "gases", "elements", "election", "market"):
        for form, weight in ph.options(word).get("phrase", []):
            assert word not in form.split() or weight == 5.0, (word, form)  # 5.0: a filler
    assert "in between" in [f for f, _ in ph.options("between")["phrase"]]
