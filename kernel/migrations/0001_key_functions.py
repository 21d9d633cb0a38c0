"""Entity keys normalised inside PostgreSQL, for expression indexes on warehouse key columns.

They mirror kernel.keys for the spellings the warehouse holds (scheme, www., case, port,
path, query, trailing slash), so one index probe finds a key however it was stored. They
are PL/pgSQL on purpose: PostgreSQL inlines a plain SQL function into an index
definition, and the status statement could then no longer recognise the index by the
function's name. The names carry a version: an index built on one definition must never
be matched against another, so a change of rules means a new function.
"""

from django.db import migrations

COMPANY_KEY = r"""
CREATE OR REPLACE FUNCTION reference.company_key_v1(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    host text := regexp_replace(regexp_replace(raw, '^\s+|\s+$', '', 'g'), '^[A-Za-z][A-Za-z0-9+.-]*://', '');
BEGIN
    host := regexp_replace(substring(host FROM '^[^/?#]*'), '^.*@', '');
    host := rtrim(regexp_replace(host, ':[0-9]*$', ''), '.');
    RETURN regexp_replace(lower(host), '^www\.', '');
END $$
"""

PERSON_KEY = r"""
CREATE OR REPLACE FUNCTION reference.person_key_v1(raw text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    parts text[] := regexp_match(
        raw, '^\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?(?:[^/?#@]*@)?([^/?#:]*)(?::[0-9]*)?/+([^/?#]+)/+([^/?#]+)');
BEGIN
    IF parts IS NULL OR lower(parts[2]) <> 'in'
       OR regexp_replace(lower(parts[1]), '^www\.', '') !~ '^([a-z]{1,3}\.)?linkedin\.com$' THEN
        RETURN NULL;
    END IF;
    RETURN 'linkedin.com/in/' || lower(parts[3]);
END $$
"""


class Migration(migrations.Migration):
    # Until the kernel was its own app these were runs' migration 0002; CREATE OR REPLACE lets
    # a database that ran that one take this one too.
    dependencies: list = []

    operations = [
        migrations.RunSQL("CREATE SCHEMA IF NOT EXISTS reference", reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(COMPANY_KEY, "DROP FUNCTION IF EXISTS reference.company_key_v1(text)"),
        migrations.RunSQL(PERSON_KEY, "DROP FUNCTION IF EXISTS reference.person_key_v1(text)"),
    ]
