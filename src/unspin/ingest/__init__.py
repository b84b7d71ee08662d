"""Ingest stage: bytes from a file or stdin -> text that is safe to analyse, or a clear error."""
from unspin.ingest.reader import DEFAULT_MAX_BYTES, InputError, analysis_view, decode, looks_english, read_inputs, read_path

__all__ = ["DEFAULT_MAX_BYTES", "InputError", "analysis_view", "decode", "looks_english", "read_inputs", "read_path"]
