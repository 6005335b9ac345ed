"""CSV that spreadsheets open as data: the one writer every CSV export uses.

A spreadsheet reads a cell starting with `=`, `+`, `-` or `@` as a formula (and a leading tab or
carriage return can hide one), so a component named `=HYPERLINK(…)` would run in whoever opens
the export. Such a text cell is written with a single quote in front, which spreadsheets show
as text. Numbers are written as numbers, so -3 stays a number; only text is neutralised, even
text that looks like a negative number (it is text, and is kept as text)."""

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

from incidentdesk.core.errors import ValidationError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A cell as written: empty for None, text neutralised, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable]) -> str:
    """RFC 4180 text: CRLF line ends, so a cell holding a carriage return is quoted too (with
    a bare LF line end, Python's writer leaves such a cell unquoted and splits the row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue()


def wants_csv(request, format: str) -> bool:
    """Whether an API request asks for CSV: `?format=csv` (which wins) or `Accept: text/csv`."""
    if format:
        if format not in ("json", "csv"):
            raise ValidationError("must be 'json' or 'csv'", field="format")
        return format == "csv"
    return "text/csv" in request.headers.get("Accept", "")


def csv_response(text: str, filename: str) -> HttpResponse:
    """A CSV download named `filename`."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
