"""Entity keys normalised exactly as kernel.keys does, or NULL where SQL cannot be sure.

The v1 functions are index expressions: they may return a spelling the Python normaliser
would refuse, and the lookup copes by probing. Counting keys (the gap check) needs the exact
normal form instead, so v2 returns either exactly what `normalise_domain` /
`normalise_linkedin_url` return, or NULL. NULL means "ask Python": text outside printable
ASCII (IDNA hosts, Unicode normalisation), percent-escapes in a profile name, user info in a
URL, and every key Python would refuse. The warehouse stores almost all keys in plain ASCII,
so Python sees a few rows per window, not the table. A property test holds both equal.
"""

from django.db import migrations

COMPANY_KEY = r"""
CREATE OR REPLACE FUNCTION reference.company_key_v2(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    host text;
BEGIN
    IF raw ~ '^[a-z0-9][a-z0-9.-]*\.[a-z][a-z0-9-]*$' AND raw !~ '^www\.|\.\.|-\.|\.-|-$'
       AND length(raw) <= 253 AND raw !~ '[a-z0-9-]{64}' THEN
        RETURN raw;  -- already in normal form: how core stores nearly every domain
    END IF;
    IF raw !~ '^[ -~]+$' OR length(raw) > 2048 THEN
        RETURN NULL;
    END IF;
    host := regexp_replace(btrim(raw, ' '), '^[A-Za-z][A-Za-z0-9+.-]*://', '');
    host := regexp_replace(substring(host FROM '^[^/?#]*'), '^.*@', '');
    host := lower(rtrim(regexp_replace(host, ':[0-9]*$', ''), '.'));
    IF left(host, 4) = 'www.' THEN
        host := substr(host, 5);
    END IF;
    IF length(host) <= 253 AND host !~ '\.[0-9]+$'
       AND host ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' THEN
        RETURN host;
    END IF;
    RETURN NULL;
END $$
"""

PERSON_KEY = r"""
CREATE OR REPLACE FUNCTION reference.person_key_v2(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    parts text[];
    host text;
    slug text;
BEGIN
    IF raw ~ '^linkedin\.com/in/[a-z0-9_-]{1,200}$' THEN
        RETURN raw;  -- already in normal form
    END IF;
    IF raw !~ '^[ -~]+$' OR length(raw) > 2048 OR strpos(raw, '%') > 0 THEN
        RETURN NULL;
    END IF;
    parts := regexp_match(lower(btrim(raw, ' ')),
        '^(?:[a-z][a-z0-9+.-]*://)?([^/?#@\[\]:]*)(?::[0-9]*)?(/[^?#]*)?(?:[?#].*)?$');
    IF parts IS NULL THEN
        RETURN NULL;
    END IF;
    host := parts[1];
    IF left(host, 4) = 'www.' THEN
        host := substr(host, 5);
    END IF;
    IF host !~ '^([a-z]{1,3}\.)?linkedin\.com$' THEN
        RETURN NULL;
    END IF;
    slug := (regexp_match(coalesce(parts[2], ''), '^/+in/+([^/]+)'))[1];
    IF slug IS NULL OR strpos(slug, ' ') > 0 OR length(slug) > 200 THEN
        RETURN NULL;
    END IF;
    RETURN 'linkedin.com/in/' || slug;
END $$
"""


class Migration(migrations.Migration):
    dependencies = [("kernel", "0001_key_functions")]

    operations = [
        migrations.RunSQL(COMPANY_KEY, "DROP FUNCTION IF EXISTS reference.company_key_v2(text)"),
        migrations.RunSQL(PERSON_KEY, "DROP FUNCTION IF EXISTS reference.person_key_v2(text)"),
    ]
