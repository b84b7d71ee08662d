"""The number-word stage: figures written for number words, flagged only in documents judged spun."""
from pathlib import Path

import pytest

import unspin
from unspin.decide import Detector
from unspin.decide.numbers import NumberWords
from unspin.lexicon.numbers import NUMBER_WORDS, SPELLED_OUT
from unspin.pipeline import Pipeline
from unspin.tokenize import tokenize

EXAMPLE = Path(__file__).parent.parent / "examples" / "spun_article.txt"


def flagged(text: str) -> list[tuple[str, str]]:
    return [(s.text, s.suggestion) for s in NumberWords().spans(tokenize(text))]


def test_table_covers_one_to_nine_and_first_to_ninth():
    assert SPELLED_OUT["2"] == "two" and SPELLED_OUT["2nd"] == "second" and SPELLED_OUT["9th"] == "ninth"
    assert "1" not in SPELLED_OUT  # "one" is left to the pronoun
    assert "10" not in SPELLED_OUT and "10th" not in SPELLED_OUT  # figures from 10 on are house style
    assert NUMBER_WORDS["twenty-one"] == "21"  # the simulator's direction is unchanged


@pytest.mark.parametrize("text, expected", [
    ("Putin asked for the call, the 2nd between the leaders this month.", [("2nd", "second")]),
    ("The 2 firms are key parts of the market.", [("2", "two")]),
    ("2 men were held after the raid.", [("2", "Two")]),  # a sentence opener is capitalised
    ("It was the 3rd time he had tried.", [("3rd", "third")]),
    ("She was thrilled about the 4th Oscar nomination of her career.", [("4th", "fourth")]),  # a name, not a unit
    ("It was India's 2nd big stock debut this year.", [("2nd", "second")]),  # after a possessive
])
def test_bare_figures_in_prose_are_flagged(text, expected):
    assert flagged(text) == expected


@pytest.mark.parametrize("text", [
    "The road is 2 km long.",  # a unit
    "Prices rose 3 percent last year.",
    "The talks end on May 2 in Geneva.",  # a date
    "The fair opens on the 4th of July.",
    "Arsenal won 3-1 at home.",  # a score
    "He spoke on Channel 4 last night.",  # a numbered name
    "Sales of the PS2 doubled.",  # part of a name
    "The temple dates from the 1st century.",  # a century
    "He served in the 1st Battalion for years.",  # an ordinal before a name
    "See item 7 above for the total.",  # a label
    "2. It makes materials harder.",  # an enumeration
    "They won 3 gold, 2 silver and 4 bronze medals.",  # statistics: three bare figures in a sentence
    "He paid $5 for it.",  # money
])
def test_figures_style_guides_keep_are_left_alone(text):
    assert flagged(text) == []


def test_only_in_documents_judged_spun():
    pipe = Pipeline(Detector())
    clean = pipe.run("The 2 firms said on Monday that they would merge. Shares in both rose sharply in early "
                     "trading, and analysts said the deal would create the largest bank in the region.")
    assert clean.spin_score < pipe.detector.model.doc_threshold
    assert not any(s.text == "2" for s in clean.spans)
    spun = unspin.check(EXAMPLE.read_text(encoding="utf-8"))
    assert spun.spin_score >= pipe.detector.model.doc_threshold
    number = [s for s in spun.spans if s.text == "2nd"]
    assert [(s.suggestion, s.evidence.source, s.evidence.relation) for s in number] == [("second", "style", "number word")]
    assert "the second between the leaders" in spun.restored


def test_the_stage_can_be_switched_off():
    pipe = Pipeline(Detector(numbers=None))
    report = pipe.run(EXAMPLE.read_text(encoding="utf-8"))
    assert not any(s.text == "2nd" for s in report.spans)
