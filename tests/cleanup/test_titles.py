import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.title_evaluation import evaluation_run, labelled_titles
from cleanup.coalescing.title_lexicon import FUNCTIONS
from cleanup.coalescing.titles import SENIORITIES, title_classify, title_match, title_words

MAPPING = {"VP Sales": ("Sales", "VP"), "CTO": ("Engineering", "C-Level"), "Head Honcho": ("Executive", "Founder")}
EVALUATION = labelled_titles()


def test_the_mapping_table_wins_over_the_classifier():
    assert title_match("VP Sales", mapping=MAPPING) == title_match(" VP Sales ", mapping=MAPPING)
    match = title_match("Head Honcho", mapping=MAPPING)
    assert (match.job_function, match.seniority, match.by_rule, match.rule) == (
        "Executive", "Founder", False, "reference.job_title_mapping")


@pytest.mark.parametrize("raw, function, seniority", [
    ("Vertriebsleiter", "Sales", "Director"),  # a compound: "vertrieb" + "leiter"
    ("Head Honcho", "Executive", "C-Level"),
    ("Sr Eng Mgr", "Engineering", "Manager"),
    ("Dir. Partnerships", "Business Development", "Director"),
    ("Vice President, Revenue", "Sales", "VP"),
    ("Développeur Senior", "Engineering", "Senior"),
    ("Co-Founder & CEO", "Executive", "Founder"),
    ("Founder & CTO", "Engineering", "Founder"),  # Executive gives way to a specific function
    ("VP Sales | EMEA", "Sales", "VP"),
    ("Head of Growth / Marketing", "Marketing", "Director"),
    ("Account Executive at Salesforce", "Sales", "Individual Contributor"),  # the employer is not the role
    ("🚀 Growth Marketer (she/her)", "Marketing", "Individual Contributor"),
    ("Data Scientist, ex-Google", "Data", "Individual Contributor"),
    ("Junior Account Manager", "Sales", "Entry"),
    ("Lead Software Engineer", "Engineering", "Senior"),
    ("Growth Marketing Lead", "Marketing", "Manager"),
    ("Jefe de Ventas", "Sales", "Manager"),
    ("Diretora de produto", "Product", "Director"),
    ("Hoofd Verkoop", "Sales", "Director"),
    ("Amministratore Delegato", "Executive", "C-Level"),
    ("Visionary", None, "Individual Contributor"),
])
def test_titles_the_table_lacks_are_classified(raw, function, seniority):
    match = title_match(raw, mapping={})
    assert (match.job_function, match.seniority, match.by_rule) == (function, seniority, True)


def test_each_answer_names_the_rule_that_decided():
    match = title_classify("Vertriebsleiter")
    assert match.rule == ("seniority: 'leiter' (de) in 'vertriebsleiter' -> Director; "
                          "function: 'vertrieb' (de) in 'vertriebsleiter' -> Sales")
    assert title_classify("Visionary").rule == ("seniority: no seniority word, so Individual Contributor; "
                                                "function: no function word")


def test_the_evaluation_set_is_large_and_spread_over_languages_and_classes():
    assert len(EVALUATION) >= 600
    by_language = {language: sum(case.language == language for case in EVALUATION)
                   for language in ("en", "de", "fr", "es", "pt", "nl", "it")}
    assert min(by_language.values()) >= 60, by_language
    assert {case.job_function for case in EVALUATION} - {None} == set(FUNCTIONS)
    assert {case.seniority for case in EVALUATION} == set(SENIORITIES)


def test_the_classifier_meets_its_goals_on_the_evaluation_set():
    evaluation = evaluation_run(EVALUATION, classify=title_classify)
    assert evaluation.accuracy("seniority") >= 0.95, evaluation.misses("seniority")
    assert evaluation.accuracy("job_function") >= 0.90, evaluation.misses("job_function")
    assert all(guess.seniority for guess in evaluation.guesses)  # no title left without a seniority
    for language in evaluation.languages:
        assert evaluation.accuracy("seniority", language=language) >= 0.90, language
        assert evaluation.accuracy("job_function", language=language) >= 0.85, language


def test_precision_and_recall_are_counted_per_class():
    evaluation = evaluation_run(EVALUATION, classify=title_classify)
    scores = evaluation.scores("seniority")
    assert set(scores) == set(SENIORITIES)
    assert sum(score.support for score in scores.values()) == len(EVALUATION)
    director = scores["Director"]
    labelled = [i for i, case in enumerate(EVALUATION) if case.seniority == "Director"]
    guessed = [i for i, guess in enumerate(evaluation.guesses) if guess.seniority == "Director"]
    both = set(labelled) & set(guessed)
    assert (director.precision, director.recall) == (len(both) / len(guessed), len(both) / len(labelled))


def test_a_malformed_evaluation_file_names_its_line(tmp_path):
    (tmp_path / "title_eval_bad.tsv").write_text("# header\nCEO\ten\tExecutive\n")
    with pytest.raises(ValueError, match=r"title_eval_bad.tsv:2: expected 4 tab-separated fields, got 3"):
        labelled_titles(tmp_path)


@given(st.text(max_size=80))
def test_any_title_gets_a_known_seniority_or_none_and_never_raises(raw):
    match = title_match(raw, mapping=MAPPING)
    assert match.seniority in set(SENIORITIES) | {None}
    assert match.job_function in set(FUNCTIONS) | {None}
    assert (match.seniority is None) == (not raw.strip())
    assert match.rule


@given(st.text(max_size=80))
def test_title_words_are_folded_ascii_words(raw):
    words = title_words(raw)
    assert all(word.isascii() and word.isalnum() and word == word.lower() for word in words)


@given(st.lists(st.sampled_from(["senior", "vertriebsleiter", "head", "of", "sales", "cto", "3d", "manager"]),
                max_size=6))
def test_folded_words_read_back_unchanged(words):
    assert title_words(" ".join(words)) == words
    assert title_words(" ".join(word.upper() for word in words)) == words


@given(st.sampled_from([case.title for case in EVALUATION]),
       st.sampled_from(["", " 🚀", " ✨✨", " (she/her)", " (m/w/d)", " at Acme Corp", " @ Initech", ", ex-Google"]))
def test_noise_around_a_title_does_not_change_its_reading(title, noise):
    clean, noisy = title_classify(title), title_classify(title + noise)
    assert (noisy.job_function, noisy.seniority) == (clean.job_function, clean.seniority)


@pytest.mark.django_db
def test_unmapped_titles_are_listed_with_counts_and_the_classifiers_guess(demo):
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
