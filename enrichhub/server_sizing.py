"""Memory settings for the embedded server, sized for the machine the way a DBA would.

PostgreSQL's defaults (128 MB of shared buffers, 4 MB per sort) fit a server that shares a
small machine with everything else. At four times the demo's data the key indexes and the
work-history index no longer fit in 128 MB, and every gap check read them from disk again.
A server that enrichhub did not start (DATABASE_URL) is never reconfigured.
"""

import os
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
GB = 1024 * MB
# Past about 8 GB the operating system's page cache serves the rest as well as shared buffers
# do, and a larger pool only lengthens checkpoints.
SHARED_BUFFERS_CAP = 8 * GB
# Each connection may use work_mem several times over (one per sort or hash node).
MAX_CONNECTIONS = 100
SORTS_PER_CONNECTION = 4
CGROUP_LIMIT_FILES = (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))


@dataclass(frozen=True)
class MachineMemory:
    total_bytes: int

    @classmethod
    def detect(cls) -> "MachineMemory":
        """Physical memory, or the container's limit when that is smaller."""
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return cls(total_bytes=min([physical, *_cgroup_limits()]))


@dataclass(frozen=True)
class ServerSizing:
    shared_buffers: int
    effective_cache_size: int
    work_mem: int
    maintenance_work_mem: int


def server_sizing(memory: MachineMemory) -> ServerSizing:
    total = memory.total_bytes
    shared_buffers = _clamp(total // 4, 128 * MB, SHARED_BUFFERS_CAP)
    return ServerSizing(
        shared_buffers=shared_buffers,
        # What the planner may assume is cached by PostgreSQL and the kernel together.
        effective_cache_size=max(shared_buffers, total * 3 // 4),
        work_mem=_clamp((total - shared_buffers) // (MAX_CONNECTIONS * SORTS_PER_CONNECTION), 4 * MB, 64 * MB),
        # Index builds (registry_indexes --create) and VACUUM; only a few run at a time.
        maintenance_work_mem=_clamp(total // 16, 64 * MB, 2 * GB),
    )


def sizing_conf_text(memory: MachineMemory) -> str:
    sizing = server_sizing(memory)
    lines = [
        f"# Written by enrichhub for a machine with {memory.total_bytes // MB} MB; rewritten at each start.",
        f"shared_buffers = '{sizing.shared_buffers // MB}MB'",
        f"effective_cache_size = '{sizing.effective_cache_size // MB}MB'",
        f"work_mem = '{sizing.work_mem // MB}MB'",
        f"maintenance_work_mem = '{sizing.maintenance_work_mem // MB}MB'",
        f"max_connections = {MAX_CONNECTIONS}",
        # The superuser page of top statements (admin) reads these.
        "shared_preload_libraries = 'pg_stat_statements'",
        "pg_stat_statements.track = 'top'",
    ]
    return "\n".join(lines) + "\n"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def _cgroup_limits() -> list[int]:
    limits = []
    for limit_file in CGROUP_LIMIT_FILES:
        try:
            text = limit_file.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append(int(text))
    return limits
