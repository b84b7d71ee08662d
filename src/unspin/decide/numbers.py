"""Number-word stage: figures a spinner wrote for number words ("the 2nd in between the leaders").

Why a rule and not the learned decision: WordNet lists figures as synonyms ("second, 2nd, 2d";
"two, 2, II"), so word-level spinners write them, but no evidence the other stages use can see it.
The n-gram model is CMU's speech model, where every figure is out of vocabulary, and a figure is
as likely as its word to the neural model in "the 1st century" as in "the 2nd between the leaders".
House style can tell: news and encyclopedic prose (AP, Chicago, Wikipedia's manual of style) spell
out one to nine and first to ninth, except in a known set of constructions: measurements, money,
dates and times, scores and ranges, ages, centuries, numbered things ("Channel 4", "World War 2",
"No. 3"), and sentences dense with figures. So the stage flags a bare single-digit figure outside
those constructions, and only in a document the learned decision already judges spun: a clean
document keeps every figure it has, whatever its house style.
"""
from __future__ import annotations

from dataclasses import dataclass

from unspin.doc import Doc, Evidence, Span
from unspin.evidence.frequency import zipf
from unspin.lexicon.numbers import SPELLED_OUT
from unspin.tokenize.tokenizer import MONTHS

# Words after a figure that make it a quantity written in figures by every style guide.
UNITS_AFTER = frozenset("""
percent per cent pc % million millions billion billions trillion bn m k thousand hundred dozen
km kilometre kilometres kilometer kilometers mile miles mph kph metre metres meter meters m cm mm
ft foot feet inch inches yard yards acre acres hectare hectares
kg kilogram kilograms kilo kilos g gram grams lb lbs pound pounds ounce ounces oz tonne tonnes ton tons
litre litres liter liters ml gallon gallons
degree degrees c f kelvin volt volts watt watts kw mw gw kwh hz mhz ghz gb mb kb tb bit bits byte bytes
am pm a.m p.m o'clock gmt bst est pst utc hour hours hr hrs minute minutes min mins second seconds sec secs
century centuries millennium millennia bc bce ad ce
year-old years-old x times point points goal goals run runs wicket wickets seed
""".split())
# Words before a figure that make it a label, a rank, a date or an age.
LABELS_BEFORE = frozenset("""
no no. number nos num # grade level page pages p pp chapter chapters section sections article articles
part parts round rounds stage stages game games match step steps phase phases type types class classes
category categories version versions series season seasons episode episodes volume vol book books
figure fig table tables appendix channel route highway interstate platform gate room flat apartment
unit units floor apollo war division league tier pool group zone band box line lines verse verses
act acts scene psalm psalms aged age ages top vs versus from to between
item items lemma theorem rule rules note notes paragraph paragraphs clause clauses exhibit
""".split()) | MONTHS
# Names an ordinal figure is part of ("1st Battalion", "2nd Earl", "5th Avenue"); before other names an
# ordinal is a spun word like any other ("the 4th Oscar nomination").
NAMED_ORDINALS = frozenset("""
battalion battalions regiment regiments division divisions brigade brigades corps army armies fleet fleets
squadron squadrons wing group infantry cavalry armoured armored airborne marine marines guards rifles
lieutenant lt sergeant sgt class earl earls duke dukes baron barons baronet marquess marquis viscount count
countess lord lady king queen prince princess emperor pope dynasty reich republic
circuit district districts ward precinct congress parliament amendment avenue ave street st road
century millennium grade form year round
""".split())
# Capitalised words that open a sentence before a count ("The 2 firms"), unlike a name ("Kings 4").
OPENERS = frozenset("""
the a an all only about some another just nearly almost around those these its his her their our my your
at in on for of with by after before every each over under about up to and but or so then there here
""".split())
# Characters that, touching a figure, make it part of a larger figure, a range, a score or money.
GLUED_BEFORE = set("$£€¥#(-–—/+.:,'\"")
GLUED_AFTER = set("%-–—/:)×'\"")


@dataclass
class NumberWords:
    """Finds figures that stand for spelled-out number words, in documents judged spun.

    ``confidence``: the probability reported for each span, measured as the share of the stage's
    spans that are true substitutions on simulated spinning (``bench/number_words.py``)."""

    confidence: float = 0.85  # bench/number_words.py --split dev, fast profile: 80 of 94 spans right
    max_figures_per_sentence: int = 2  # more bare figures in a sentence: statistics, left alone

    def spans(self, doc: Doc) -> list[Span]:
        """Spans for the figures in ``doc`` that stand for number words (see the module docstring)."""
        toks = doc.tokens
        text = doc.text
        bare_in: dict[int, int] = {}  # bare one-digit figures per sentence
        for t in toks:
            if t.protected == "number" and t.text in SPELLED_OUT:
                bare_in[t.sentence] = bare_in.get(t.sentence, 0) + 1
        out = []
        for i, t in enumerate(toks):
            word = SPELLED_OUT.get(t.text)
            if word is None or t.protected != "number" or bare_in[t.sentence] > self.max_figures_per_sentence:
                continue
            before = text[t.start - 1] if t.start > 0 else " "
            after = text[t.end] if t.end < len(text) else " "
            if before in GLUED_BEFORE or after in GLUED_AFTER or before.isalnum() or after.isalnum():
                continue  # part of a larger figure, a range, a score, money, a name ("PS2", "3GSM")
            prev = toks[i - 1] if i > 0 and toks[i - 1].sentence == t.sentence else None
            nxt = toks[i + 1] if i + 1 < len(toks) and toks[i + 1].sentence == t.sentence else None
            possessive = prev is not None and prev.lower.endswith(("'s", "\u2019s"))  # "India's 2nd"
            if prev is not None and not possessive and (
                    prev.lower in LABELS_BEFORE or prev.protected in ("name", "number", "date")
                    or prev.text[0].isupper() and prev.lower not in OPENERS or not prev.is_word and prev.text not in ",;"):
                continue  # "Channel 4", "World War 2", "item 7", "May 2", "(3"
            if nxt is not None and (nxt.lower in UNITS_AFTER or nxt.protected in ("number", "date")
                                    or nxt.protected == "name" and not t.text.isdigit() and nxt.lower in NAMED_ORDINALS
                                    or nxt.lower == "of" and i + 2 < len(toks) and toks[i + 2].lower in MONTHS):
                continue  # "2 km", "2 May", "1st Battalion", "4th of July"
            if prev is None and nxt is not None and nxt.text in (".", ")"):
                continue  # an enumeration: "2. It makes ..."
            suggestion = word.capitalize() if prev is None else word
            out.append(Span(t.start, t.end, t.text, suggestion, self.confidence,
                            Evidence(zipf_written=zipf(t.text), zipf_suggestion=zipf(suggestion), relation="number word",
                                     n_candidates=1, source="style")))
        return out


__all__ = ["NumberWords"]
