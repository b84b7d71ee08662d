"""Scanning at scale: ``unspin scan`` over JSONL, Parquet, text folders and WARC/WET, in resumable
Parquet shards, on local processes or Ray. See ``unspin.scan.run.scan``."""
from unspin.scan.run import ScanError, format_summary, scan

__all__ = ["ScanError", "format_summary", "scan"]
