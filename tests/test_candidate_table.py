"""The packaged candidate table is the detector's own computation, stored: these tests fail when it
goes stale (a rule, the lexicon or a dependency changed without ``scripts/build_candidate_table.py``)."""
import random

import pytest

from unspin.decide.candidate_table import CandidateList, CandidateTable, default_candidate_table, inputs_fingerprint
from unspin.decide.detector import Detector
from unspin.decide.rescore import ACCURATE_MAX_CANDIDATES
from unspin.lexicon import Lexicon
from unspin.lexicon.lexicon import default_lexicon_path
from unspin.tokenize import tokenize

TEXT = ("Putin asked for the call, the second between the leaders this month, ahead of arranged talks in "
        "between senior U.S. and Russian authorities set for Jan. 10 in Geneva. Saakashvili bought his "
        "soldiers to withdraw, and the ministers who satisfied in Geneva signed a composed dedication.")


@pytest.fixture(scope="module")
def table() -> CandidateTable:
    t = default_candidate_table()
    assert t is not None, "src/unspin/decide/data/candidates.npz is missing: run scripts/build_candidate_table.py"
    return t


def test_packaged_table_was_built_from_the_packaged_inputs(table):
    # one table for both profiles: cut at the accurate profile's 250, read by the fast one's 100 too
    for cut in (Detector(candidate_table=None).max_candidates, ACCURATE_MAX_CANDIDATES):
        assert table.matches(inputs_fingerprint(default_lexicon_path()), cut)
    assert len(table) > 50_000 and "satisfied" in table and "the" not in table  # function words are never sites


@pytest.mark.parametrize("cut", [100, ACCURATE_MAX_CANDIDATES, 20])
def test_table_lists_equal_the_detectors_own(table, cut):
    det = Detector(candidate_table=None, max_candidates=cut)
    words = random.Random(7).sample(sorted(table._index), 300) + ["asked", "satisfied", "bought", "composed"]
    # words whose lists the cut shortens, where the table's ranks decide what is kept
    long = [w for w in sorted(table._index) if len(table.get(w).texts) > 100]
    words += random.Random(8).sample(long, 100)
    for w in words:
        assert table.get(w, cut) == det._candidate_list(det._word_candidates(w)), w


def test_detector_reads_the_table_and_finds_the_same_sites(table):
    with_table, without = Detector(), Detector(candidate_table=None)
    a, b = with_table.sites(tokenize(TEXT)), without.sites(tokenize(TEXT))
    assert with_table._table is table and without._table is None
    assert [(s.first, s.last, s.suggestion, s.probability, s.candidates, s.features) for s in a] == \
        [(s.first, s.last, s.suggestion, s.probability, s.candidates, s.features) for s in b]


def test_a_table_built_for_other_inputs_is_ignored(table):
    det = Detector(max_candidates=20)  # a shorter cut than the table's is read from it
    det.sites(tokenize(TEXT))
    assert det._table is table
    det = Detector(max_candidates=ACCURATE_MAX_CANDIDATES + 1)  # a longer one is not
    det.sites(tokenize(TEXT))
    assert det._table is None
    custom = Detector(lexicon=Lexicon({"request": (("ask", 1),)}))
    custom.sites(tokenize("They ask."))
    assert custom._table is None
    stale = CandidateTable.build([], {**table.meta, "table_version": -1})
    assert not stale.matches(inputs_fingerprint(default_lexicon_path()), 100)


def test_save_and_load_keep_every_list(tmp_path):
    lists = [("one", CandidateList(("a", "b", "c"), (3, 1, 7), (1, 6, 2))),
             ("none", CandidateList((), (), ())),
             ("two", CandidateList(("b", "a"), (2, 3), (8, 1)))]  # "b" has fan-outs 1 and 2
    CandidateTable.build(lists, {"k": 1}).save(str(tmp_path / "t.npz"))
    loaded = CandidateTable.load(str(tmp_path / "t.npz"))
    assert [loaded.get(w) for w, _ in lists] == [lst for _, lst in lists]
    assert loaded.get("one", 2) == CandidateList(("a", "b"), (3, 1), (1, 6))  # the two most frequent, in order
    assert loaded.get("two", 1) == CandidateList(("a",), (3,), (1,))
    assert loaded.get("absent") is None and loaded.meta == {"k": 1}


def test_a_table_file_is_checked_and_a_damaged_packaged_one_only_costs_speed(table, tmp_path, monkeypatch):
    from unspin.decide import candidate_table as ct

    good, other = tmp_path / "good.npz", tmp_path / "other.npz"
    CandidateTable.build([("satisfied", table.get("satisfied"))], table.meta).save(str(good))
    CandidateTable.build([("satisfied", table.get("satisfied"))], {**table.meta, "max_candidates": 7}).save(str(other))
    det = Detector(candidate_table=str(good))
    det.sites(tokenize(TEXT))
    assert det._table is not None and len(det._table) == 1
    det = Detector(candidate_table=str(other))
    det.sites(tokenize(TEXT))
    assert det._table is None  # built for other inputs
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"not an npz")
    monkeypatch.setattr(ct, "default_table_path", lambda: str(damaged))
    ct.default_candidate_table.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="unreadable"):
            assert ct.default_candidate_table() is None
    finally:
        ct.default_candidate_table.cache_clear()
