"""Raw SQL of the registry app."""

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from registry.models import TABLE_COLUMNS

# Compares a registry column's value with names read from pg_class; the value is never
# spliced into SQL. `column` is one of our own field names, never input.
_TABLE_EXISTS = (
    "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname || '.' || c.relname = {column})"
)


def table_exists_expression(*, column: str) -> RawSQL:
    if column not in TABLE_COLUMNS:
        raise ValueError(f"{column} is not a registry table column")
    return RawSQL(_TABLE_EXISTS.format(column=column), [], output_field=BooleanField())
