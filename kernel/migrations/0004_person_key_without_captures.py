"""reference.person_key_v2 splits a URL with string functions instead of one regular expression
with capture groups.

PostgreSQL runs a pattern with capture groups through its backtracking engine: on the
warehouse's spellings of profile URLs the split took about 50 µs a row, nine tenths of the
function's time, and the gap check and coalescing call it for every dirty key. Matching
without captures stays on the fast engine. The answers are the same (the property tests
hold it to kernel.keys), so the name keeps its version.
"""

from importlib import import_module

from django.db import migrations

# The definition this one replaces, restored when migrating back.
PREVIOUS_PERSON_KEY = import_module("kernel.migrations.0002_exact_key_functions").PERSON_KEY

PERSON_KEY = r"""
CREATE OR REPLACE FUNCTION reference.person_key_v2(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    url text;
    authority text;
    path text;
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
    -- [scheme://]host[:port][/path][?query][#fragment]
    url := btrim(raw, ' ');
    IF url ~ '^[A-Za-z][A-Za-z0-9+.-]*://' THEN
        url := substr(url, strpos(url, '://') + 3);
    END IF;
    authority := substring(url FROM '^[^/?#]*');
    IF authority !~ '^[^@\[\]:]*(?::[0-9]*)?$' THEN
        RETURN NULL;
    END IF;
    path := substr(url, char_length(authority) + 1);
    IF left(path, 1) <> '/' THEN
        RETURN NULL;  -- no path, so no profile
    END IF;
    host := lower(split_part(authority, ':', 1));
    IF left(host, 4) = 'www.' THEN
        host := substr(host, 5);
    END IF;
    IF host !~ '^([a-z]{1,3}\.)?linkedin\.com$' THEN
        RETURN NULL;
    END IF;
    -- /in/<slug>[/...], any run of slashes between; "in" in either case, ASCII only
    path := ltrim(substring(path FROM '^[^?#]*'), '/');
    IF split_part(path, '/', 1) NOT IN ('in', 'In', 'iN', 'IN') THEN
        RETURN NULL;
    END IF;
    slug := split_part(ltrim(substr(path, 3), '/'), '/', 1);
    IF slug = '' OR strpos(slug, '%') > 0 OR strpos(slug, ' ') > 0 THEN
        RETURN NULL;  -- escapes: Python decodes them four times faster than PL/pgSQL can
    END IF;
    IF octet_length(slug) <> char_length(slug) THEN
        slug := normalize(slug, NFC);
        -- an upper-case letter beyond ASCII: Python and the C library might lower it differently
        IF lower(regexp_replace(slug, '[A-Z]+', '', 'g')) <> regexp_replace(slug, '[A-Z]+', '', 'g') THEN
            RETURN NULL;
        END IF;
    END IF;
    IF char_length(slug) > 200 THEN
        RETURN NULL;
    END IF;
    RETURN 'linkedin.com/in/' || lower(slug);
END $$
"""


class Migration(migrations.Migration):
    dependencies = [("kernel", "0003_time_ordered_uuid")]

    operations = [migrations.RunSQL(PERSON_KEY, PREVIOUS_PERSON_KEY)]
