"""The cleanup app in the admin: each room registers its own models."""

from cleanup.coalescing import admin as coalescing_admin
from cleanup.gaps import admin as gaps_admin
from cleanup.jobs import admin as jobs_admin

__all__ = ["coalescing_admin", "gaps_admin", "jobs_admin"]
