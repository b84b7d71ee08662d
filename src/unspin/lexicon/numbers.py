"""Number words and the figures spinners write for them ("two" -> "2", "second" -> "2nd").

Why a lexicon of its own: WordNet puts figures in the same synsets as the words ("second, 2nd, 2d"),
so a WordNet-driven spinner writes "the 2nd between the leaders" for "the second between"; the
thesaurus layer never proposes a figure (the tokenizer protects numbers), so this table is the one
place both directions live: the simulator and the attribution fingerprint read it forwards, the
detector's number-word stage (``unspin.decide.numbers``) backwards.
"""
from __future__ import annotations

UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen")
TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth")


def ordinal_figure(i: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th"."""
    suffix = "th" if 10 <= i % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(i % 10, "th")
    return f"{i}{suffix}"


def _number_table() -> dict[str, str]:
    t: dict[str, str] = {}
    for i, w in enumerate(UNITS[1:], start=2):  # "one" is mostly a pronoun ("no one"): left alone
        t[w] = str(i)
    for i, w in enumerate(TEENS, start=10):
        t[w] = str(i)
    for i, w in enumerate(TENS, start=2):
        t[w] = str(i * 10)
        for j, u in enumerate(UNITS, start=1):
            t[f"{w}-{u}"] = str(i * 10 + j)
    for i, w in enumerate(ORDINALS, start=1):
        t[w] = ordinal_figure(i)
    return t


NUMBER_WORDS: dict[str, str] = _number_table()  # word -> the figure a spinner writes for it
# The figures style guides spell out in running prose (AP, Chicago, Wikipedia's MOS: one to nine,
# first to ninth), with the word each stands for: the ones a number-word site is made for.
SPELLED_OUT: dict[str, str] = {fig: word for word, fig in NUMBER_WORDS.items()
                               if word in UNITS or word in ORDINALS[:9]}

__all__ = ["NUMBER_WORDS", "ORDINALS", "SPELLED_OUT", "TEENS", "TENS", "UNITS", "ordinal_figure"]
