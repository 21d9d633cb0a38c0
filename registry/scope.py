"""Which tables a registry row may name.

Registry rows steer jobs that insert, update and delete rows: a row naming Django's
public.auth_user with a mapping that creates missing rows would let a job create a
superuser. So a registry table lives in one of the warehouse's schemas
(ENRICHHUB_WAREHOUSE_SCHEMAS: raw, extracted and core unless configured), never in a schema
enrichhub, Django or PostgreSQL owns, and never carries the name of a table enrichhub owns.
The model's validation, a database constraint, the catalog and the jobs all apply this rule.
"""

import re

from django.apps import apps
from django.conf import settings

from registry.models import OWN_SCHEMA_PATTERN

_OWN_SCHEMA = re.compile(OWN_SCHEMA_PATTERN, re.IGNORECASE)
# Tables Django creates that no model describes.
_UNMODELLED_OWN_TABLES = frozenset({"django_migrations"})


def warehouse_schemas() -> tuple[str, ...]:
    """The configured warehouse schemas, less any that enrichhub or PostgreSQL owns."""
    return tuple(schema for schema in settings.WAREHOUSE_SCHEMAS if not _OWN_SCHEMA.match(f"{schema}."))


def own_table_names() -> frozenset[str]:
    """Bare names of the tables enrichhub and Django create (their models' tables)."""
    return _UNMODELLED_OWN_TABLES | {model._meta.db_table for model in apps.get_models() if model._meta.managed}


def table_scope_problem(qualified: str) -> str | None:
    """Why a registry row may not name this table, or None when it may."""
    schema, _, table = qualified.partition(".")
    if _OWN_SCHEMA.match(f"{schema}.") or schema not in warehouse_schemas():
        return (f"{qualified} is outside the warehouse schemas enrichhub may write to "
                f"({', '.join(warehouse_schemas())}; ENRICHHUB_WAREHOUSE_SCHEMAS sets them)")
    if table in own_table_names():
        return f"{qualified} has the name of a table that enrichhub or Django owns"
    return None
