import pytest
from hypothesis import given
from hypothesis import strategies as st

from cleanup.coalescing.titles import DEFAULT_SENIORITY, FUNCTION_RULES, SENIORITY_RULES, title_match, title_words

MAPPING = {"VP Sales": ("Sales", "VP"), "CTO": ("Engineering", "C-Level")}
SENIORITIES = {name for _, name in SENIORITY_RULES} | {DEFAULT_SENIORITY}
FUNCTIONS = {name for _, name in FUNCTION_RULES}


def test_the_mapping_table_wins_over_the_rules():
    assert title_match("VP Sales", mapping=MAPPING) == title_match(" VP Sales ", mapping=MAPPING)
    match = title_match("CTO", mapping=MAPPING)
    assert (match.job_function, match.seniority, match.by_rule) == ("Engineering", "C-Level", False)


@pytest.mark.parametrize("raw, function, seniority", [
    ("Sr Eng Mgr", "Engineering", "Manager"),
    ("Head of Growth", "Marketing", "Director"),
    ("Dir. Partnerships", "Business Development", "Director"),
    ("Vice President, Revenue", "Sales", "VP"),
    ("Marketing Intern", "Marketing", "Intern"),
    ("Développeur Senior", "Engineering", "Senior"),
    ("Vertriebsleiter", "Sales", "Individual Contributor"),
    ("Chief Happiness Officer", "Human Resources", "C-Level"),
    ("Growth Ninja", "Marketing", "Individual Contributor"),
    ("Rockstar Dev", "Engineering", "Individual Contributor"),
    ("Co-Founder & CEO", "Executive", "Founder"),
])
def test_titles_the_table_lacks_fall_back_to_the_rules(raw, function, seniority):
    match = title_match(raw, mapping=MAPPING)
    assert (match.job_function, match.seniority, match.by_rule) == (function, seniority, True)


@given(st.text(max_size=80))
def test_any_title_gets_a_known_seniority_or_none_and_never_raises(raw):
    match = title_match(raw, mapping=MAPPING)
    assert match.seniority in SENIORITIES | {None}
    assert match.job_function in FUNCTIONS | {None}
    assert (match.seniority is None) == (not raw.strip())


@given(st.text(max_size=80))
def test_title_words_is_idempotent(raw):
    assert title_words(title_words(raw)) == title_words(raw)


@pytest.mark.django_db
def test_unmapped_titles_are_listed_with_counts_and_the_rules_guess(demo):
    import csv
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    from warehouse.demo.vocabulary import UNMAPPED_TITLES

    out = StringIO()
    call_command("unmapped_titles", stdout=out)
    rows = list(csv.DictReader(StringIO(out.getvalue())))
    assert {row["raw_title"] for row in rows} == set(UNMAPPED_TITLES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM extracted.person_experience WHERE title = 'Growth Ninja'")
        expected = cursor.fetchone()[0]
    ninja = next(row for row in rows if row["raw_title"] == "Growth Ninja")
    assert (int(ninja["rows"]), ninja["suggested_function"]) == (expected, "Marketing")
    assert [int(row["rows"]) for row in rows] == sorted((int(row["rows"]) for row in rows), reverse=True)
