"""The SQL key functions (runs migration 0002) against the Python normaliser they mirror."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kernel import (
    entity_key_or_none,
    index_probes,
    normalise_domain,
    normalise_entity_key,
    normalise_linkedin_url,
    stored_variants,
)
from tests.kernel.test_keys import normal_domains, slugs

# Each example is one query on the test transaction; the fixture is the same for all of them.
per_example = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
ascii_slugs = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,30}", fullmatch=True)


def sql_key(function: str, raw: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT reference.{function}(%s)", [raw])
        return cursor.fetchone()[0]


@per_example
@given(normal_domains, st.sampled_from(["", "http://", "https://", "HTTPS://", "  "]),
       st.sampled_from(["", "www.", "WWW."]),
       st.sampled_from(["", "/", "/about", "/?utm=1", ":443/", "#top", ".", " \t"]), st.booleans())
@example("ironclad.com", "https://", "", "/", True)
def test_the_sql_company_key_of_a_stored_spelling_is_the_normalised_domain(db, domain, scheme, www, tail, upper):
    spelled = f"{scheme}{www}{domain.upper() if upper else domain}{tail}"
    assert sql_key("company_key_v1", spelled) == normalise_domain(spelled) == domain


@per_example
@given(ascii_slugs, st.sampled_from(["", "https://", "http://", "HTTPS://"]),
       st.sampled_from(["linkedin.com", "www.linkedin.com", "LinkedIn.com", "uk.linkedin.com", "www.uk.linkedin.com"]),
       st.sampled_from(["", "/", "/?trk=public_profile", "/details/experience/", "#about"]),
       st.sampled_from(["in", "IN"]))
def test_the_sql_person_key_of_a_stored_spelling_is_the_normalised_url(db, slug, scheme, host, tail, section):
    spelled = f"{scheme}{host}/{section}/{slug}{tail}"
    assert sql_key("person_key_v1", spelled) == normalise_linkedin_url(spelled)


@per_example
@given(slugs)
def test_every_spelling_the_lookup_used_to_probe_is_found_by_one_index_probe(db, slug):
    """The expression index finds at least what the list of spellings found."""
    key = normalise_linkedin_url(f"linkedin.com/in/{slug}")
    found = {sql_key("person_key_v1", variant) for variant in stored_variants(entity_type="person", key=key)}
    assert found <= set(index_probes(entity_type="person", key=key))


@per_example
@given(normal_domains)
def test_every_domain_spelling_the_lookup_used_to_probe_is_found_by_one_index_probe(db, domain):
    found = {sql_key("company_key_v1", v) for v in stored_variants(entity_type="company", key=domain)}
    assert found == {domain} == set(index_probes(entity_type="company", key=domain))


@pytest.mark.parametrize("stored, key", [
    ("https://www.linkedin.com/in/j%C3%BCrgen-m/", "linkedin.com/in/jürgen-m"),
    ("linkedin.com/in/Jürgen-M", "linkedin.com/in/jürgen-m"),
    ("https://münchen.de/", "xn--mnchen-3ya.de"),
    ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
])
def test_escaped_and_unicode_keys_are_probed_in_both_forms(db, stored, key):
    function = "person_key_v1" if key.startswith("linkedin.com") else "company_key_v1"
    assert sql_key(function, stored) in index_probes(entity_type="person" if "linkedin" in key else "company", key=key)


@per_example
@given(st.text(max_size=200).map(lambda text: text.replace("\x00", "")))
@example("https://www.linkedin.com/in/")
@example("://")
def test_the_sql_key_functions_never_fail_on_any_text(db, raw):
    """An index expression that raised would make the table refuse the row."""
    sql_key("company_key_v1", raw)
    sql_key("person_key_v1", raw)


def test_a_profile_url_of_another_site_has_no_person_key(db):
    assert sql_key("person_key_v1", "https://example.com/in/johndoe") is None
    assert sql_key("person_key_v1", "https://linkedin.com/company/acme") is None


# The exact functions (kernel migration 0002): what they return is what Python returns, and
# NULL leaves the key to Python. Counting keys in SQL is only as right as this equality.



key_noise = st.text(alphabet=st.sampled_from("aZ09.-_/:?#@%[] \tWw\u00fc"), max_size=12)
spelled_domains = st.builds(
    lambda scheme, www, domain, tail, noise, upper: scheme + www + (domain.upper() if upper else domain) + tail + noise,
    st.sampled_from(["", "http://", "HTTPS://", " ", "ftp://u@"]), st.sampled_from(["", "www.", "WWW."]),
    normal_domains, st.sampled_from(["", "/", ":8080/x", "?q=1", ".", "#a"]), key_noise, st.booleans())
spelled_profiles = st.builds(
    lambda scheme, host, section, slug, tail, noise: f"{scheme}{host}/{section}/{slug}{tail}{noise}",
    st.sampled_from(["", "https://", "http://", "HTTPS://", "//"]),
    st.sampled_from(["linkedin.com", "www.linkedin.com", "uk.linkedin.com", "LinkedIn.com:443", "linkedin.com.",
                     "xlinkedin.com", "u@linkedin.com"]),
    st.sampled_from(["in", "IN", "in/", "pub", "inx"]), slugs,
    st.sampled_from(["", "/", "/details", "?trk=x", "#x", " "]), key_noise)


@per_example
@given(st.one_of(spelled_domains, key_noise, st.text(max_size=40).map(lambda t: t.replace("\x00", ""))))
@example("1.2.3.4")
@example("www.com")
@example("a-.com")
@example("example.123")
def test_the_exact_company_key_is_the_normalisers_or_null(db, raw):
    exact = sql_key("company_key_v2", raw)
    assert exact is None or exact == entity_key_or_none(entity_type="company", raw=raw)


@per_example
@given(st.one_of(spelled_profiles, st.text(max_size=60).map(lambda t: t.replace("\x00", ""))))
@example("https://www.linkedin.com/in/j%C3%BCrgen-m/")
@example("linkedin.com/in/a b")
@example("linkedin.com:abc/in/x")
def test_the_exact_person_key_is_the_normalisers_or_null(db, raw):
    exact = sql_key("person_key_v2", raw)
    assert exact is None or exact == entity_key_or_none(entity_type="person", raw=raw)


@pytest.fixture
def previous_person_key(db):
    """The person key's definition before migration 0004, as a session function."""
    from importlib import import_module

    previous = import_module("kernel.migrations.0004_person_key_without_captures").PREVIOUS_PERSON_KEY
    with connection.cursor() as cursor:
        cursor.execute(previous.replace("reference.person_key_v2", "pg_temp.person_key_previous"))


@per_example
@given(st.one_of(spelled_profiles, st.text(max_size=60).map(lambda t: t.replace("\x00", "")),
                 st.text(alphabet=st.sampled_from("/:?#@[]% inINlkedhtps.wcomüÜ"), max_size=40)))
@example("linkedin.com/in")
@example("linkedin.com/IN//x")
@example("https://linkedin.com:/in/x")
@example("linkedin.com/İn/x")
def test_the_person_key_splits_urls_as_its_previous_definition_did(previous_person_key, raw):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference.person_key_v2(%s), pg_temp.person_key_previous(%s)", [raw, raw])
        now, before = cursor.fetchone()
    assert now == before


@per_example
@given(normal_domains, st.sampled_from(["", "https://", "http://www.", "WWW."]),
       st.sampled_from(["", "/", "/about?x=1"]))
def test_plain_ascii_domains_are_normalised_in_sql_without_python(db, domain, prefix, suffix):
    assume(domain.isascii())
    assert sql_key("company_key_v2", prefix + domain + suffix) == domain


@per_example
@given(ascii_slugs, st.sampled_from(["", "https://www.", "http://uk."]), st.sampled_from(["", "/", "/?trk=x"]))
def test_plain_ascii_profiles_are_normalised_in_sql_without_python(db, slug, prefix, suffix):
    assert sql_key("person_key_v2", f"{prefix}linkedin.com/in/{slug}{suffix}") == f"linkedin.com/in/{slug.lower()}"


@pytest.mark.parametrize("raw, key", [
    ("linkedin.com/in/ahmed-garcía-1000b8", "linkedin.com/in/ahmed-garcía-1000b8"),
    ("https://www.linkedin.com/in/Ahmed-García-1/", "linkedin.com/in/ahmed-garcía-1"),
    ("https://de.linkedin.com/in/jürgen-m?trk=x", "linkedin.com/in/jürgen-m"),
    ("HTTPS://WWW.EXAMPLE.COM:443/", "example.com"),
])
def test_letters_of_any_script_are_normalised_in_sql_without_python(db, raw, key):
    """Half the demo's people have names like garcía: the hourly check must not send them to Python."""
    function = "person_key_v2" if "linkedin" in raw.lower() else "company_key_v2"
    entity_type = "person" if function.startswith("person") else "company"
    assert sql_key(function, raw) == key == normalise_entity_key(entity_type=entity_type, raw=raw)


def test_escaped_profile_names_are_left_to_python(db):
    assert sql_key("person_key_v2", "https://www.linkedin.com/in/Bj%C3%B6rn") is None


@pytest.mark.django_db
@per_example
@given(raw=st.one_of(st.from_regex(r"(https?://)?(www\.)?[A-Za-z0-9-]{1,12}\.[a-z]{2,4}(/[a-z]{0,5})?", fullmatch=True),
                     st.from_regex(r"(https?://)?(www\.)?linkedin\.com/in/[A-Za-z0-9_%-]{1,12}/?", fullmatch=True),
                     st.text(max_size=30)))
def test_the_normal_form_shortcut_gives_what_the_key_function_gives(raw):
    from django.db import connection
    from psycopg import sql

    from kernel import key_function_call, key_function_value

    value = sql.Placeholder("raw")
    with connection.cursor() as cursor:
        for function in ("company_key_v1", "person_key_v1"):
            cursor.execute(sql.SQL("SELECT {}, {}").format(key_function_value(function=function, column=value),
                                                           key_function_call(function=function, argument=value)),
                           {"raw": raw.replace("\x00", "")})
            shortcut, called = cursor.fetchone()
            assert shortcut == called
