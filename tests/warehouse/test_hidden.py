"""One definition of "missing" (NULL, empty, only spaces) for every reader of hidden leads:
the dashboard's counts, its drill-down list and CSV, and the job that fills title fields."""

import csv
import io

from django.db import connection
from django.test import Client

from cleanup.coalescing.sql.titles import hidden_for_title
from dashboard.sql import hidden_counts
from warehouse.hidden import hidden_queryset


def _blank_three_companies() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM core.companies WHERE btrim(company_name) <> '' AND btrim(company_country) <> ''"
                       " ORDER BY id LIMIT 3")
        ids = [row[0] for row in cursor.fetchall()]
        for company_id, value in zip(ids, [None, "", "   "], strict=True):
            cursor.execute("UPDATE core.companies SET company_country = %s WHERE id = %s", [value, company_id])
    return ids


def _country_only_count() -> int:
    _, combos = hidden_counts("company")
    return dict(combos).get(("company_country",), 0)


def test_null_empty_and_spaces_only_are_missing_for_the_count_the_list_and_the_csv(demo, admin_user):
    before = _country_only_count()
    blanked = _blank_three_companies()
    assert _country_only_count() == before + 3
    listed = hidden_queryset(entity="company", missing=("company_country",))
    assert listed.count() == before + 3
    assert set(blanked) <= set(listed.values_list("id", flat=True))
    client = Client()
    client.force_login(admin_user)
    response = client.get("/admin/dashboard/hidden/company.csv?missing=company_country")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]
    assert len(rows) == before + 3 and set(blanked) <= {int(row[0]) for row in rows}


def test_a_title_field_of_spaces_counts_as_missing_for_the_title_job(demo):
    before = hidden_for_title()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core.people SET matched_seniority = '  ' WHERE id = (SELECT min(id) FROM core.people"
                       " WHERE btrim(matched_seniority) <> '' AND btrim(matched_job_function) <> '')")
    assert hidden_for_title() == before + 1
    _, combos = hidden_counts("person")
    assert sum(rows for missing, rows in combos
               if {"matched_job_function", "matched_seniority"} & set(missing)) == before + 1
