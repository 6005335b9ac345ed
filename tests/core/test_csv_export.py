"""CSV exports open in a spreadsheet as data: a text cell that starts like a formula is written
with a quote in front (a component named `=HYPERLINK(…)` used to reach the insights CSV as it
was), numbers stay numbers, and every CSV writer goes through the one neutraliser."""

import csv
import io
import re
from pathlib import Path

import pytest

import incidentdesk
from incidentdesk.core.csv_export import csv_text, spreadsheet_cell
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import component_save

FORMULAS = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("text", [*FORMULAS, "\t=1+1", "\r=1+1", "=", "-", "-5"])
def test_text_starting_like_a_formula_is_written_as_text(text):
    assert spreadsheet_cell(text) == "'" + text
    assert next(csv.reader(io.StringIO(csv_text([[text]]), newline=""))) == ["'" + text]


@pytest.mark.parametrize("value", [-3, -2.5, 0, 7, "plain", "a=b", " =x", "", "'quoted"])
def test_numbers_and_ordinary_text_are_written_as_they_are(value):
    assert spreadsheet_cell(value) == value
    assert next(csv.reader(io.StringIO(csv_text([[value]])))) == [str(value)]


def test_an_unknown_figure_is_an_empty_cell():
    assert csv_text([["a", None, -1]]) == "a,,-1\r\n"


def test_a_line_break_inside_a_cell_keeps_the_row_whole():
    text = csv_text([["a\rb", "c\nd", "e\r\nf"], ["next"]])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["a\rb", "c\nd", "e\r\nf"], ["next"]]


def test_the_insights_csv_neutralises_a_component_named_like_a_formula(boss, admin, declare):
    for name in FORMULAS:
        component_save(actor=admin, source=ActionSource.CLI, name=name)
        declare(components=[name])
    response = boss.get("/api/v1/insights/breakdown?by=component&format=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    names = [row[0] for row in rows[1:]]
    assert sorted(names) == sorted("'" + name for name in FORMULAS)
    counts = [row[1] for row in rows[1:]]
    assert counts == ["1"] * len(FORMULAS)


def test_every_csv_writer_goes_through_the_neutraliser():
    package = Path(incidentdesk.__file__).parent
    writers = re.compile(r"csv\.(writer|DictWriter)\(|from csv import")
    found = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if writers.search(path.read_text()) and path.name != "csv_export.py"
    ]
    assert not found, f"CSV written without core.csv_export: {found}"
