"""The SQL twin of kernel.ids.time_ordered_uuid: a version-7 UUID from the clock and the
random bits of gen_random_uuid() (version 4: its 13th hex digit is the version, its 17th
already holds the RFC variant)."""

from django.db import migrations

TIME_ORDERED_UUID = r"""
CREATE OR REPLACE FUNCTION reference.time_ordered_uuid() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
            || '7' || substr(random_hex, 14, 3) || substr(random_hex, 17, 16))::uuid
    FROM (SELECT replace(gen_random_uuid()::text, '-', '') AS random_hex) r
$$
"""


class Migration(migrations.Migration):
    dependencies = [("kernel", "0002_exact_key_functions")]

    operations = [
        migrations.RunSQL(TIME_ORDERED_UUID, "DROP FUNCTION IF EXISTS reference.time_ordered_uuid()"),
    ]
