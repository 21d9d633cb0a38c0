from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kernel import InvalidEntityKey, normalise_domain, normalise_entity_key, normalise_linkedin_url, stored_variants

labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
domains = st.builds(lambda parts, tld: ".".join([*parts, tld]), st.lists(labels, min_size=1, max_size=3),
                    st.sampled_from(["com", "io", "co.uk", "de", "ai"]))
# "www." is never the start of a normalised domain: the normaliser strips it.
normal_domains = domains.filter(lambda domain: not domain.startswith("www."))
slugs = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="-_"),
                min_size=1, max_size=40)


@given(st.text(max_size=300))
@example("https://www.linkedin.com/in/%")
@example("xn--")
def test_normalising_any_text_returns_a_key_or_raises_the_clear_error(raw):
    for normalise in (normalise_domain, normalise_linkedin_url):
        try:
            key = normalise(raw)
        except InvalidEntityKey as exc:
            assert str(exc)
        else:
            assert normalise(key) == key  # idempotent


@given(normal_domains, st.sampled_from(["", "http://", "https://", "HTTPS://"]), st.sampled_from(["", "www.", "WWW."]),
       st.sampled_from(["", "/", "/about", "/?utm=1", ":443/", "#top"]), st.booleans())
def test_every_spelling_of_a_domain_gives_the_same_key(domain, scheme, www, tail, upper):
    spelled = f"{scheme}{www}{domain.upper() if upper else domain}{tail}"
    assert normalise_domain(spelled) == domain


@given(slugs, st.sampled_from(["", "https://", "http://", "HTTPS://"]),
       st.sampled_from(["linkedin.com", "www.linkedin.com", "LinkedIn.com", "uk.linkedin.com"]),
       st.sampled_from(["", "/", "/?trk=public_profile", "/details/experience/"]), st.booleans())
def test_every_spelling_of_a_profile_url_gives_the_same_key(slug, scheme, host, tail, encode):
    name = quote(slug) if encode else slug
    key = normalise_linkedin_url(f"{scheme}{host}/in/{name}{tail}")
    assert key == normalise_linkedin_url(f"linkedin.com/in/{slug}")
    assert key.startswith("linkedin.com/in/") and key == key.lower()


@given(normal_domains)
def test_stored_variants_of_a_domain_all_normalise_back_to_it(domain):
    assert {normalise_domain(v) for v in stored_variants(entity_type="company", key=domain)} == {domain}


@given(slugs)
def test_stored_variants_of_a_profile_all_normalise_back_to_it(slug):
    key = normalise_linkedin_url(f"linkedin.com/in/{slug}")
    variants = stored_variants(entity_type="person", key=key)
    assert {normalise_linkedin_url(v) for v in variants} == {key}


@pytest.mark.parametrize("raw, expected", [
    ("Ironclad.com", "ironclad.com"),
    ("https://www.Ironclad.com/about?x=1", "ironclad.com"),
    ("www.ironclad.com/", "ironclad.com"),
    ("ironclad.com.", "ironclad.com"),
    ("münchen.de", "xn--mnchen-3ya.de"),
    ("https://user@shop.example.co.uk:8443/x", "shop.example.co.uk"),
])
def test_domains_normalise_as_expected(raw, expected):
    assert normalise_domain(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "localhost", "192.168.0.1", "-bad-.com", "exa mple.com", "a..com",
                                 "x" * 64 + ".com", "http://"])
def test_things_that_are_not_domains_are_refused(raw):
    with pytest.raises(InvalidEntityKey):
        normalise_domain(raw)


@pytest.mark.parametrize("raw, expected", [
    ("https://www.linkedin.com/in/JohnDoe/", "linkedin.com/in/johndoe"),
    ("http://linkedin.com/in/johndoe?trk=public_profile", "linkedin.com/in/johndoe"),
    ("https://LinkedIn.com/in/j%C3%BCrgen-dubois-100004", "linkedin.com/in/jürgen-dubois-100004"),
    ("de.linkedin.com/in/jürgen-dubois-100004/details/", "linkedin.com/in/jürgen-dubois-100004"),
])
def test_profile_urls_normalise_as_expected(raw, expected):
    assert normalise_linkedin_url(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("linkedin.com/company/ironclad", "not a LinkedIn profile URL"),
    ("https://evil.com/in/johndoe", "not a linkedin.com URL"),
    ("linkedin.com/in/", "not a LinkedIn profile URL"),
    ("linkedin.com/in/100%2525", "no valid profile name"),
    ("johndoe", "not a linkedin.com URL"),
])
def test_things_that_are_not_profiles_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidEntityKey, match=reason):
        normalise_linkedin_url(raw)


def test_an_unknown_entity_type_is_refused():
    with pytest.raises(InvalidEntityKey, match="unknown entity_type 'account'"):
        normalise_entity_key(entity_type="account", raw="ironclad.com")


def _key_or_none(normalise, raw: str) -> str | None:
    try:
        return normalise(raw)
    except InvalidEntityKey:
        return None


@given(st.one_of(domains, st.from_regex(r"[a-z0-9.-]{1,80}", fullmatch=True), st.text(max_size=80)))
@example("www.ironclad.com")
@example("a.123")
@example("-a.com")
@example("a-.com")
def test_the_fast_path_for_normal_domains_agrees_with_the_full_parse(raw):
    # Surrounding spaces are never normal form: they force the full parse.
    assert _key_or_none(normalise_domain, raw) == _key_or_none(normalise_domain, f" {raw} ")


@given(st.one_of(slugs, st.text(min_size=1, max_size=40)).map(lambda slug: f"linkedin.com/in/{slug}"))
@example("linkedin.com/in/a[b")
@example("linkedin.com/in/\u212b")  # the angstrom sign: lower-case-less, but not NFC
def test_the_fast_path_for_normal_profile_urls_agrees_with_the_full_parse(raw):
    assert _key_or_none(normalise_linkedin_url, raw) == _key_or_none(normalise_linkedin_url, f" {raw} ")
