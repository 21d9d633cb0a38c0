"""The one normaliser of entity keys: company domains and LinkedIn profile URLs.

Every entry point (run reporting, status API, admin search, backfill) passes keys
through here, so `Ironclad.com`, `https://www.ironclad.com/` and `ironclad.com` are one
company, and the many spellings of a LinkedIn URL one person. A key that cannot be
normalised raises InvalidEntityKey with a message fit to show the caller.
"""

import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

import idna

MAX_KEY_LENGTH = 2048
COMPANY, PERSON = "company", "person"
LINKEDIN_HOST = "linkedin.com"
PROFILE_PREFIX = f"{LINKEDIN_HOST}/in/"

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ALL_DIGITS = re.compile(r"^[0-9]+$")
# Country and mobile sub-sites all serve the same profile: uk.linkedin.com, m.linkedin.com.
_LINKEDIN_HOSTS = re.compile(r"^(?:[a-z]{1,3}\.)?linkedin\.com$")
# Keys already in normal form, which is how core mostly stores them: one regex match instead
# of the full parse, five times faster over the millions of keys a gap check reads.
_NORMAL_DOMAIN = re.compile(
    r"(?!www\.)(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?![0-9]+$)(?!-)[a-z0-9-]{1,63}(?<!-)")
_NORMAL_PROFILE = re.compile(r"linkedin\.com/in/([^\s/?#%]{1,200})")


class InvalidEntityKey(ValueError):
    """The key is not a domain / LinkedIn profile URL; the message says why."""


def normalise_entity_key(*, entity_type: str, raw: str) -> str:
    if entity_type == COMPANY:
        return normalise_domain(raw)
    if entity_type == PERSON:
        return normalise_linkedin_url(raw)
    raise InvalidEntityKey(f"unknown entity_type {entity_type!r}: use company or person")


def entity_key_or_none(*, entity_type: str, raw: str) -> str | None:
    """The normalised key, or None for a value that is no key of that type (counted as invalid)."""
    try:
        return normalise_entity_key(entity_type=entity_type, raw=raw)
    except InvalidEntityKey:
        return None


def normalise_domain(raw: str) -> str:
    """`https://www.Ironclad.com/about?x=1` -> `ironclad.com`; unicode hosts in IDNA form."""
    if isinstance(raw, str) and _NORMAL_DOMAIN.fullmatch(raw):
        return raw
    text = _prepare(raw, what="domain")
    text = _SCHEME.sub("", text)
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]  # user@host from a pasted URL
    host = re.sub(r":\d*$", "", host).rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        ascii_host = host if host.isascii() else _idna_ascii(host)
    except UnicodeError:
        raise InvalidEntityKey(f"{raw!r} is not a valid domain name") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or _ALL_DIGITS.match(labels[-1]):
        raise InvalidEntityKey(f"{raw!r} is not a domain like example.com")
    if len(ascii_host) > 253:
        raise InvalidEntityKey("a domain is at most 253 characters long")
    return ascii_host


def _idna_ascii(host: str) -> str:
    """UTS #46 non-transitional, as browsers and registries read a name today: faß.de is
    xn--fa-hia.de. Python's "idna" codec is IDNA 2003, which makes it fass.de, another domain."""
    return idna.encode(host, uts46=True, transitional=False).decode("ascii")


def domain_or_none(raw: str | None) -> str | None:
    """The normalised domain of a field that may be empty or hold junk (a company column)."""
    if not raw:
        return None
    try:
        return normalise_domain(raw)
    except InvalidEntityKey:
        return None


def normalise_linkedin_url(raw: str) -> str:
    """Any spelling of a profile URL -> `linkedin.com/in/<slug>`, the slug decoded and lower-case."""
    if isinstance(raw, str) and (normal := _NORMAL_PROFILE.fullmatch(raw)) and _is_normal_slug(normal[1]):
        return raw
    text = _prepare(raw, what="LinkedIn URL")
    try:
        parts = urlsplit(text if _SCHEME.match(text) else f"https://{text}")
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:  # urlsplit refuses unbalanced [ ] and bad ports
        raise InvalidEntityKey(f"{raw!r} is not a URL") from None
    if not _LINKEDIN_HOSTS.match(host):
        raise InvalidEntityKey(f"{raw!r} is not a linkedin.com URL")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() != "in":
        raise InvalidEntityKey(f"{raw!r} is not a LinkedIn profile URL (linkedin.com/in/<name>)")
    slug = unicodedata.normalize("NFC", unquote(segments[1])).lower()
    if not slug or "%" in slug or any(ch.isspace() or not ch.isprintable() or ch in "/?#" for ch in slug):
        raise InvalidEntityKey(f"{raw!r} has no valid profile name after /in/")
    if len(slug) > 200:
        raise InvalidEntityKey("a LinkedIn profile name is at most 200 characters long")
    return PROFILE_PREFIX + slug


def _is_normal_slug(slug: str) -> bool:
    return slug.isprintable() and slug == slug.lower() and unicodedata.is_normalized("NFC", slug)


def _prepare(raw: object, *, what: str) -> str:
    if not isinstance(raw, str):
        raise InvalidEntityKey(f"a {what} must be text")
    text = raw.strip()
    if not text:
        raise InvalidEntityKey(f"the {what} is empty")
    if len(text) > MAX_KEY_LENGTH:
        raise InvalidEntityKey(f"the {what} is longer than {MAX_KEY_LENGTH} characters")
    return text


# The SQL twins of the normalisers (kernel migration 0001), for expression indexes that find a
# key under any of its spellings with one probe.
KEY_FUNCTIONS = {COMPANY: "company_key_v1", PERSON: "person_key_v1"}
KEY_FUNCTION_SCHEMA = "reference"


def index_probes(*, entity_type: str, key: str) -> list[str]:
    """What the SQL key function may return for rows stored under this normalised key.

    The SQL functions lower-case but cannot decode punycode or percent-escapes, so a
    unicode host and an escaped profile name are probed in both forms.
    """
    if entity_type == COMPANY:
        forms = [key]
        if "xn--" in key:
            try:
                forms.append(idna.decode(key).lower())
            except UnicodeError:
                pass
        return list(dict.fromkeys(forms))
    slug = key.removeprefix(PROFILE_PREFIX)
    return list(dict.fromkeys([key, PROFILE_PREFIX + quote(slug, safe="-_.~").lower()]))


def stored_variants(*, entity_type: str, key: str) -> list[str]:
    """Spellings under which a normalised key is commonly stored raw in warehouse tables.

    Lets a lookup use `col = ANY(%s)` on an ordinary index instead of normalising every row.
    """
    if entity_type == COMPANY:
        return [prefix + host + suffix for prefix in ("", "www.", "http://", "http://www.", "https://", "https://www.")
                for host in dict.fromkeys([key, key.capitalize(), key.title()]) for suffix in ("", "/")]
    slug = key.removeprefix(PROFILE_PREFIX)
    encoded = quote(slug, safe="-_.~")
    variants = []
    for name in dict.fromkeys([slug, encoded]):
        for prefix in ("linkedin.com/in/", "www.linkedin.com/in/", "https://www.linkedin.com/in/",
                       "https://linkedin.com/in/", "http://linkedin.com/in/", "https://LinkedIn.com/in/"):
            variants += [prefix + name, prefix + name + "/"]
        # What LinkedIn's own "share profile" link adds.
        variants += [f"{scheme}://linkedin.com/in/{name}?trk=public_profile" for scheme in ("http", "https")]
    return variants
