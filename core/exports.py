"""Exports as text: flat CSV rows from nested documents, and a JSON array written piece by piece.

Pure functions, shared by the API's and the pages' downloads.
"""

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): such
# text cells get a leading apostrophe, which spreadsheets show as text and do not evaluate.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One CSV cell: empty for null, numbers as they are, lists and objects as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Sequence[Any]]) -> str:
    """These rows as CSV text (RFC 4180 quoting, CRLF line ends), each value through `cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def csv_rows(documents: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """The documents as CSV lines, one per document, in these columns."""
    return csv_lines([document.get(column) for column in columns] for document in documents)


def json_items(documents: Iterable[str], *, first: bool) -> str:
    """JSON texts as items of a streamed array: a comma before each but the array's first."""
    pieces = list(documents)
    if not pieces:
        return ""
    return ("" if first else ",") + ",".join(pieces)
