"""Every job kind, by name. The engine's own kinds are here; other rooms register theirs
(cleanup.apps), so that the engine never imports what is built on it."""

from cleanup.jobs.kinds.base import JobKind, JobParamsError
from cleanup.jobs.kinds.companies import DeleteCompaniesMissingLocation, RestoreCompaniesMissingLocation
from cleanup.jobs.kinds.funding import FundingBackfill
from cleanup.jobs.kinds.reference_tables import DropReferenceTable, RestoreReferenceTable
from cleanup.jobs.kinds.tenure import TenureBackfill

KINDS: dict[str, JobKind] = {}


def kind_register(kind: JobKind) -> None:
    if type(KINDS.get(kind.name, kind)) is not type(kind):
        raise ValueError(f"two job kinds are named {kind.name!r}")
    KINDS[kind.name] = kind


def kind_get(name: str) -> JobKind:
    if name not in KINDS:
        raise JobParamsError(f"unknown job kind {name!r}; known: {', '.join(sorted(KINDS))}")
    return KINDS[name]


for _kind in (DeleteCompaniesMissingLocation(), RestoreCompaniesMissingLocation(), FundingBackfill(),
              TenureBackfill(), DropReferenceTable(), RestoreReferenceTable()):
    kind_register(_kind)
