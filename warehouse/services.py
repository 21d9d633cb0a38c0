"""Entry points of the warehouse app that commands, tasks and tests call."""

from django.conf import settings

from warehouse import sql


class WarehouseDdlRefused(Exception):
    """The target looks like a real warehouse and nobody opted in to DDL against it."""


def warehouse_ddl_guard(*, force: bool = False) -> None:
    """Allow shape DDL and demo data only on the embedded server, or when an operator opts in."""
    if settings.WAREHOUSE_DDL_ALLOWED or force:
        return
    raise WarehouseDdlRefused(
        "DATABASE_URL points at a server enrichhub did not start, so the demo warehouse DDL is refused; "
        "pass --force (or set ENRICHHUB_ALLOW_WAREHOUSE_DDL=1) only for a disposable database"
    )


def warehouse_shape_create(*, force: bool = False) -> None:
    """Create the missing schemas and tables of the warehouse shape; never drops or alters."""
    warehouse_ddl_guard(force=force)
    sql.shape_apply()


def demo_data_present() -> bool:
    return sql.demo_data_present()
