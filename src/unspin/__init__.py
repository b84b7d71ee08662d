"""unspin: detect, explain and undo article spinning.

>>> import unspin
>>> report = unspin.check("The leaders who satisfied in Geneva asked for the call.")
>>> report.verdict, [(s.text, s.suggestion) for s in report.spans]
"""
from unspin.attribute import SourceIndex
from unspin.doc import Doc, Evidence, Span, Token
from unspin.pipeline import Pipeline, check
from unspin.report import Report

__version__ = "0.1.0"
__all__ = ["Doc", "Evidence", "Pipeline", "Report", "SourceIndex", "Span", "Token", "check", "__version__"]
