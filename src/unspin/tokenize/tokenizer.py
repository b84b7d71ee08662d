"""Tokenizer with character offsets, sentence ids and protection marks.

Why protection lives here: names, numbers, dates, URLs and code-like identifiers are rare words a
naive detector flags; spinners leave them alone, so the tokenizer marks them once and every later
stage skips them.
"""
from __future__ import annotations

import re

from unspin.doc import Doc, Token

# Words (with inner apostrophes/hyphens), numbers (with separators), or any single other symbol.
TOKEN_RE = re.compile(
    r"[A-Za-z\u00C0-\u024F]+(?:['\u2019][A-Za-z]+)*(?:-[A-Za-z\u00C0-\u024F]+)*"  # word, don't, brand-new
    r"|\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s|am|pm|m|k|bn)?"  # 10, 3.5, 1,000, 2nd, 1990s
    r"|\S"
)
SENT_END = {".", "!", "?"}
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
ABBREV = {"mr", "mrs", "ms", "dr", "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
          "oct", "nov", "dec", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "inc", "co", "corp", "ltd",
          "vs", "etc", "u", "s", "no", "jr", "sr", "prof", "mt", "ft", "e", "g", "i"}
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
          "saturday", "sunday"}
IDENT_RE = re.compile(r"^(?:[a-z]+[A-Z]\w*|\w*_\w*|[A-Z]{2,}\d*|\w*\d\w*)$")
URLISH_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|`[^`\n]*`")


def tokenize(text: str, doc_id: str = "-") -> Doc:
    """Split ``text`` into tokens with offsets, sentence ids and protection marks."""
    doc = Doc(text=text, id=doc_id)
    masked = _mask_spans(text)
    sentence = 0
    sentence_start = True
    prev_end = 0
    for m in TOKEN_RE.finditer(text):
        s, e = m.start(), m.end()
        if not sentence_start and s - prev_end > 1 and PARAGRAPH_BREAK.search(text, prev_end, s):
            sentence += 1  # a blank line ends a sentence, with or without punctuation (headlines)
            sentence_start = True
        word = m.group()
        is_word = word[0].isalpha()
        tok = Token(word, s, e, sentence, is_word)
        if is_word:
            tok.protected = _protection(word, sentence_start, masked[s] == "\0")
            sentence_start = False
        elif word[0].isdigit():
            tok.protected = "number"
            sentence_start = False
        doc.tokens.append(tok)
        if word in SENT_END and not _is_abbreviation(doc.tokens):
            sentence += 1
            sentence_start = True
        prev_end = e
    return doc


def _is_abbreviation(tokens: list[Token]) -> bool:
    if len(tokens) < 2 or tokens[-1].text != ".":
        return False
    prev = tokens[-2]
    return prev.is_word and prev.end == tokens[-1].start and (prev.lower in ABBREV or len(prev.text) == 1)


def _protection(word: str, sentence_start: bool, in_masked: bool) -> str | None:
    if in_masked:
        return "identifier"
    if word.islower() and word.isalpha():  # most words: no identifier pattern or capital can apply
        return "date" if word in MONTHS else None
    if IDENT_RE.match(word):
        return "identifier"
    if word.lower() in MONTHS:
        return "date"
    if word[0].isupper() and not sentence_start:
        return "name"
    if len(word) > 1 and word.isupper():
        return "name"
    return None


def _mask_spans(text: str) -> str:
    """A copy of ``text`` with URLs, e-mails and `code` replaced by NULs (same length)."""
    if "@" not in text and "://" not in text and "www." not in text and "`" not in text:
        return text
    return URLISH_RE.sub(lambda m: "\0" * len(m.group()), text)


def sentences(doc: Doc) -> list[list[int]]:
    """Token indices grouped by sentence."""
    groups: dict[int, list[int]] = {}
    for i, t in enumerate(doc.tokens):
        groups.setdefault(t.sentence, []).append(i)
    return list(groups.values())
