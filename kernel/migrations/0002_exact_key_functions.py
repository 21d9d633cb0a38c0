"""Entity keys normalised exactly as kernel.keys does, or NULL where SQL cannot be sure.

The v1 functions are index expressions: they may return a spelling the Python normaliser
would refuse, and the lookup copes by probing. Counting keys (the gap check) needs the exact
normal form instead, so v2 returns either exactly what `normalise_domain` /
`normalise_linkedin_url` return, or NULL. NULL means "ask Python": IDNA hosts, characters
beyond ASCII other than letters, percent-escapes in a profile name, user info in a URL, and
every key Python would refuse. The warehouse stores almost all keys in plain ASCII,
so Python sees a few rows per window, not the table. A property test holds both equal.
"""

from django.db import migrations

# PostgreSQL's regex engine expands a bounded repeat such as {1,63} into that many states, 17
# times slower than `+` over a table; lengths are checked with length() instead.
COMPANY_KEY = r"""
CREATE OR REPLACE FUNCTION reference.company_key_v2(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    host text := raw;
BEGIN
    IF raw !~ '^[a-z0-9][a-z0-9.-]*\.[a-z][a-z0-9-]*$' OR raw ~ '^www\.|\.\.|-\.|\.-|-$' THEN
        IF raw !~ '^[ -~]+$' OR length(raw) > 2048 THEN
            RETURN NULL;  -- IDNA and Unicode hosts: Python
        END IF;
        host := regexp_replace(btrim(raw, ' '), '^[A-Za-z][A-Za-z0-9+.-]*://', '');
        host := regexp_replace(substring(host FROM '^[^/?#]*'), '^.*@', '');
        host := lower(rtrim(regexp_replace(host, ':[0-9]*$', ''), '.'));
        IF left(host, 4) = 'www.' THEN
            host := substr(host, 5);
        END IF;
        IF host !~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' OR host ~ '\.[0-9]+$' THEN
            RETURN NULL;
        END IF;
    END IF;
    IF length(host) > 253 OR (length(host) > 63 AND host ~ '[a-z0-9-]{64}') THEN
        RETURN NULL;
    END IF;
    RETURN host;
END $$
"""

# A profile name may hold letters of any script (garcía); other non-ASCII characters, escapes
# and letters whose lower case Python and the C library might disagree on are left to Python.
PERSON_KEY = r"""
CREATE OR REPLACE FUNCTION reference.person_key_v2(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    parts text[];
    host text;
    slug text;
BEGIN
    IF raw ~ '^linkedin\.com/in/[a-z0-9_-]+$' AND length(raw) <= 216 THEN
        RETURN raw;  -- already in normal form
    END IF;
    IF length(raw) > 2048 OR raw !~ '^([ -~]|[[:alpha:]])+$' THEN
        RETURN NULL;
    END IF;
    IF raw ~ '^linkedin\.com/in/[^/?#% ]+$' AND char_length(raw) <= 216 AND lower(raw) = raw
       AND raw IS NFC NORMALIZED THEN
        RETURN raw;  -- in normal form, with letters beyond ASCII
    END IF;
    parts := regexp_match(btrim(raw, ' '),
        '^(?:[A-Za-z][A-Za-z0-9+.-]*://)?([^/?#@\[\]:]*)(?::[0-9]*)?(/[^?#]*)?(?:[?#].*)?$');
    IF parts IS NULL THEN
        RETURN NULL;
    END IF;
    host := lower(parts[1]);
    IF left(host, 4) = 'www.' THEN
        host := substr(host, 5);
    END IF;
    IF host !~ '^([a-z]{1,3}\.)?linkedin\.com$' THEN
        RETURN NULL;
    END IF;
    parts := regexp_match(coalesce(parts[2], ''), '^/+([Ii][Nn])/+([^/]+)');
    IF parts IS NULL THEN
        RETURN NULL;
    END IF;
    slug := normalize(parts[2], NFC);
    IF strpos(slug, '%') > 0 THEN
        RETURN NULL;  -- escapes: Python decodes them four times faster than PL/pgSQL can
    END IF;
    IF strpos(slug, ' ') > 0 OR char_length(slug) > 200
       OR lower(regexp_replace(slug, '[A-Z]+', '', 'g')) <> regexp_replace(slug, '[A-Z]+', '', 'g') THEN
        RETURN NULL;
    END IF;
    RETURN 'linkedin.com/in/' || lower(slug);
END $$
"""


class Migration(migrations.Migration):
    dependencies = [("kernel", "0001_key_functions")]

    operations = [
        migrations.RunSQL(COMPANY_KEY, "DROP FUNCTION IF EXISTS reference.company_key_v2(text)"),
        migrations.RunSQL(PERSON_KEY, "DROP FUNCTION IF EXISTS reference.person_key_v2(text)"),
    ]
