"""Spreadsheet safety shared by every CSV/XLSX patentnav writes (exports, reject reports).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
evaluated as a formula by Excel and WPS when the file is opened -- and patent data carries
such text from its sources (a title like ``=HYPERLINK(...)`` in a hostile export, or
simply ``-``). Following OWASP's CSV-injection advice, such a cell is written with a
leading apostrophe, which spreadsheets show as plain text. Numbers are not text and are
written as they are.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text
