"""Core rows by key: core.people and core.companies, the tables coalescing links to."""

from psycopg import sql

from kernel import lookup_condition, server_bound_fetch

# The core tables coalescing links to, and their key column; fixed names, not data.
CORE_ENTITY_TABLES = {"person": ("core.people", "linkedin_url"), "company": ("core.companies", "domain")}


def ids_by_lookup(*, entity_type: str, condition: sql.Composable | None, values: list[str]) -> list[tuple[int, str]]:
    """(id, key as stored) of the entity's core rows that the condition finds (the exact
    stored key when None)."""
    table, column = CORE_ENTITY_TABLES[entity_type]
    query = sql.SQL("SELECT id, {column} FROM {table} WHERE {condition}").format(
        column=sql.Identifier(column), table=sql.Identifier(*table.split(".")),
        condition=condition if condition is not None else lookup_condition(column=column))
    return server_bound_fetch(query.as_string(), {"lookup_values": values})
