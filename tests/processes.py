"""Processes a test starts are gone when the test ends, whether it passed, failed or timed out.

A child in a session of its own can start grandchildren in further sessions (the demo command
puts its web server and q2 cluster in their own), so the tree is collected before anything is
killed: once a parent dies, its children belong to init and can no longer be found from it.
"""

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import psutil


@contextmanager
def process_tree(args: list[str], **popen_kwargs) -> Iterator[subprocess.Popen]:
    """Popen in a new session; on leaving, kill every process it started that still runs."""
    process = subprocess.Popen(args, start_new_session=True, **popen_kwargs)
    try:
        yield process
    finally:
        kill_tree(process)


def kill_tree(process: subprocess.Popen) -> None:
    try:
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        tree = []
    for group in {_group_of(member) for member in tree} - {None, os.getpgrp()}:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for member in tree:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait(timeout=30)


def _group_of(member: psutil.Process) -> int | None:
    try:
        return os.getpgid(member.pid)
    except ProcessLookupError:
        return None
