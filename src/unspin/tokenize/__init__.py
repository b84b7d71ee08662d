"""Tokenize stage: text -> tokens with character offsets."""
from unspin.tokenize.tokenizer import sentences, tokenize

__all__ = ["sentences", "tokenize"]
