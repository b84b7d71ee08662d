"""Report stage: the user-facing result (JSON contract, terminal text, HTML)."""
from unspin.report.report import Report, render_text

__all__ = ["Report", "render_text"]
