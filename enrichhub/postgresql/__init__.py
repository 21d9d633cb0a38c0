"""Django's PostgreSQL backend, reading any timestamp PostgreSQL can hold (enrichhub.postgresql.base)."""
