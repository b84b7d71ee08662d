"""The lexicon: reverse lookup, inflection, phrases and fillers."""
import pytest

from unspin.lexicon import Relation, default_lexicon, inflect, lemma_and_tags


@pytest.fixture(scope="module")
def lx():
    return default_lexicon()


def texts(lx, word):
    return {c.text for c in lx.candidates(word)}


@pytest.mark.parametrize("spun,original", [
    ("satisfied", "met"), ("bought", "ordered"), ("soldiers", "troops"), ("missiles", "rockets"),
    ("composed", "written"), ("dedication", "commitment"), ("arranged", "scheduled"), ("helium", "he"),
])
def test_reverse_lookup_finds_the_original(lx, spun, original):
    assert original in texts(lx, spun)


def test_inflection_is_kept(lx):
    assert "requested" in texts(lx, "asked")  # VBD -> VBD
    assert "troops" in texts(lx, "soldiers")  # NNS -> NNS
    assert "rockets" in {c.text for c in lx.candidates("missiles")}
    assert "request" not in texts(lx, "asked")  # no bare lemma for an inflected form, unless...
    assert "rocket" not in texts(lx, "missiles")


def test_a_form_listed_verbatim_keeps_its_original_as_is(lx):
    # ...the thesaurus lists the written form itself: Moby has "leading" under government and
    # "soldiers" under troop, and a spinner writes them for those words as they stand.
    assert "government" in texts(lx, "leading")
    assert "troop" in texts(lx, "soldiers")


def test_lemma_and_tags_and_inflect():
    assert ("ask", "VBD") in lemma_and_tags("asked")
    assert inflect("request", "VBD") == "requested"
    assert inflect("sign up", "VBD") == "signed up"  # verb phrases inflect the verb
    assert inflect("fighting man", "NNS") == "fighting men"  # noun phrases inflect the head
    assert inflect("most", "NNS") is None  # no guessed forms for the wrong part of speech


def test_phrases_and_fillers(lx):
    assert ("join", Relation.FILLER) in lx.originals("sign up with")
    assert any(o == "noted" for o, _ in lx.originals("kept in mind"))
    for spun, orig in [("has actually", "has"), ("in between", "between"), ("never ever", "never"),
                       ("very first", "first"), ("exact same", "same")]:
        assert any(o == orig and r & Relation.FILLER for o, r in lx.originals(spun)), spun
    assert ("in", "between") in lx.phrase_heads["in"]


def test_function_word_paraphrases_have_a_relation_of_their_own(lx):
    for spun, orig in [("within", "in"), ("however", "but"), ("earlier than", "before"),
                       ("in regards to", "about"), ("underneath", "under")]:
        rels = [r for o, r in lx.originals(spun) if o == orig]
        assert rels and rels[0] & Relation.PARAPHRASE and not rels[0] & Relation.FILLER, spun
    assert not any(r & Relation.PARAPHRASE for _, r in lx.originals("has actually"))


def test_forward_graph_is_the_reverse_of_the_reverse(lx):
    for s, _ in lx.synonyms("met")[:20]:
        assert any(o == "met" for o, _ in lx.originals(s))


def test_forms_of_one_word_and_phrases_holding_it():
    from unspin.lexicon import holds_word, same_word

    assert same_word("oceans", "ocean") and same_word("went", "go") and not same_word("sea", "ocean")
    assert holds_word("sweet basil", "basil") and holds_word("natural gases", "gas")
    assert not holds_word("sign up with", "join")
    assert not holds_word("in between", "in", ignore=frozenset({"in"}))


def test_the_built_index_is_cached_and_read_back_unchanged(tmp_path, monkeypatch):
    """The cached tables are the built ones; a damaged copy is rebuilt; an empty cache setting
    writes nothing."""
    import os

    from unspin.lexicon import Lexicon

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    fresh = Lexicon.load()
    first = Lexicon.load_cached()  # builds and writes the copy
    (copy,) = os.listdir(tmp_path / "cache")
    assert copy.startswith("lexicon-") and copy.endswith(".pickle")
    second = Lexicon.load_cached()  # reads it
    assert first.tables() == second.tables() == fresh.tables()
    assert second.candidates("asked") == fresh.candidates("asked")
    (tmp_path / "cache" / copy).write_bytes(b"not a pickle")
    assert Lexicon.load_cached().tables() == fresh.tables()
    assert Lexicon.load_cached().tables() == fresh.tables()  # rewritten: read back
    monkeypatch.setenv("UNSPIN_CACHE_DIR", "")
    os.remove(tmp_path / "cache" / copy)
    assert Lexicon.load_cached().tables() == fresh.tables() and not os.listdir(tmp_path / "cache")


def test_a_new_lexicon_file_replaces_the_cached_index_of_the_old(tmp_path, monkeypatch):
    import gzip
    import os

    from unspin.lexicon import Lexicon

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path / "cache"))
    old, new = tmp_path / "old.tsv.gz", tmp_path / "new.tsv.gz"
    old.write_bytes(gzip.compress(b"request\task:1|demand:2\n"))
    new.write_bytes(gzip.compress(b"request\task:1\n"))
    assert Lexicon.load_cached(str(old)).originals("demand")
    assert not Lexicon.load_cached(str(new)).originals("demand")
    assert len(os.listdir(tmp_path / "cache")) == 1
    assert not Lexicon.load_cached(str(new)).originals("demand")  # read back from the cache


def test_cached_copies_are_named_by_the_code_that_builds_them():
    """An edited builder gives its copies another name, so a stale copy is never read."""
    from unspin.cache import code_stamp
    from unspin.lexicon import Lexicon

    def other_init(self, forward):  # a stand-in for an edited Lexicon.__init__
        self.forward = dict(forward)

    assert code_stamp(Lexicon.__init__) == code_stamp(Lexicon.__init__) != code_stamp(other_init)
    assert code_stamp(len) == "0"  # no source: the file's stamp alone names the copy


def test_wordnet_similar_to_links_only_function_words(lx):
    # WordNet-driven spinners write "successful" for *in* ("in" is WordNet's adjective "holding
    # office", similar to "successful") and "connected" for *on*; no synonym source links them.
    assert any(o == "in" and r & Relation.WN_SIMILAR for o, r in lx.originals("successful"))
    assert any(o == "on" and r & Relation.WN_SIMILAR for o, r in lx.originals("connected"))
    # Adjective clusters are not added wholesale: "mild" is similar to "moderate" in WordNet too.
    assert not any(r & Relation.WN_SIMILAR for _, r in lx.originals("moderate"))
