"""Automated screening: personal data, secrecy markings and the agency's negative list."""

from disclosure.screening.findings import Detector, Finding, Segment
from disclosure.screening.scanner import NegativeTerm, Screener

__all__ = ["Detector", "Finding", "NegativeTerm", "Screener", "Segment"]
