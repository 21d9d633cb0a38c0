"""The embedded server's memory settings, for any machine from a small VM to a large host."""

import os

from hypothesis import given
from hypothesis import strategies as st

from enrichhub.server_sizing import (
    GB,
    MAX_CONNECTIONS,
    MB,
    SHARED_BUFFERS_CAP,
    SORTS_PER_CONNECTION,
    MachineMemory,
    server_sizing,
    sizing_conf_text,
)

machines = st.integers(min_value=1 * GB, max_value=1024 * GB).map(lambda total: MachineMemory(total_bytes=total))


@given(machines)
def test_shared_buffers_are_about_a_quarter_of_memory_and_capped(memory):
    sizing = server_sizing(memory)
    assert sizing.shared_buffers <= SHARED_BUFFERS_CAP
    assert sizing.shared_buffers == min(memory.total_bytes // 4, SHARED_BUFFERS_CAP)


@given(machines)
def test_the_sizes_leave_room_for_every_connection_sorting_at_once(memory):
    sizing = server_sizing(memory)
    worst_case = sizing.shared_buffers + MAX_CONNECTIONS * SORTS_PER_CONNECTION * sizing.work_mem
    # Below about 2 GB work_mem stays at PostgreSQL's own default rather than shrinking further.
    assert worst_case <= memory.total_bytes or sizing.work_mem == 4 * MB
    assert 4 * MB <= sizing.work_mem <= 64 * MB
    assert 64 * MB <= sizing.maintenance_work_mem <= 2 * GB
    assert sizing.shared_buffers <= sizing.effective_cache_size <= memory.total_bytes


def test_this_machine_size_gets_a_pool_far_above_the_default():
    sizing = server_sizing(MachineMemory(total_bytes=24 * GB))
    assert sizing.shared_buffers == 6 * GB and sizing.effective_cache_size == 18 * GB
    assert sizing.maintenance_work_mem == 1536 * MB


@given(machines)
def test_the_configuration_file_states_whole_megabytes_postgresql_accepts(memory):
    lines = dict(line.split(" = ", 1) for line in sizing_conf_text(memory).splitlines() if " = " in line)
    for name in ("shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem"):
        value = lines[name].strip("'")
        assert value.endswith("MB") and int(value[:-2]) >= 4
    assert lines["shared_preload_libraries"] == "'pg_stat_statements'"


def test_a_container_limit_below_physical_memory_wins(monkeypatch, tmp_path):
    from enrichhub import server_sizing as sizing_module

    limit = tmp_path / "memory.max"
    limit.write_text(str(2 * GB))
    monkeypatch.setattr(sizing_module, "CGROUP_LIMIT_FILES", (limit,))
    assert MachineMemory.detect().total_bytes == 2 * GB
    limit.write_text("max")  # no limit: physical memory
    assert MachineMemory.detect().total_bytes == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
