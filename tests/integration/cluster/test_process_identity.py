"""``scripts/cluster.py`` knows its processes by pid and start time, not by command line:
nginx rewrites its command line as it starts ("nginx: master process ..."), and a read
of ``/proc/PID/cmdline`` in the middle of that is empty (3 reads in 439,161 over 30 nginx
starts): the script took a starting nginx for one that had exited (CI, session 9)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.cluster import SCRIPT


@pytest.fixture(scope="module")
def script() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("cluster_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


# spawn() leaves its process running on its own (as `make cluster` does): the Popen
# object it dropped says so when collected.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_process_whose_command_line_changes_is_still_the_one_started(
    script: ModuleType, tmp_path: Path
):
    # The shell replaces itself with sleep: same process, another command line.
    entry = script.spawn(["sh", "-c", "exec sleep 30"], tmp_path / "sleep.log", {})
    try:
        deadline = time.monotonic() + 5
        while script.cmdline(entry["pid"])[:1] != ["sleep"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert script.cmdline(entry["pid"]) == ["sleep", "30"]
        assert script.runs(entry)
        # Another process given the same pid later (after a reboot, say) is not it.
        assert not script.runs({**entry, "started": "another-boot:12345"})
    finally:
        script.end("sleep", entry)
    assert not script.runs(entry)  # ended (a zombie until reaped, here)
    os.waitpid(entry["pid"], 0)
    assert not script.runs(entry)


def test_a_state_file_without_start_times_still_tells_its_processes(
    script: ModuleType, tmp_path: Path
):
    process = subprocess.Popen(["sleep", "30"])
    try:
        old = {"pid": process.pid, "argv": ["sleep", "30"], "log": str(tmp_path / "x")}
        # Just started, even sleep's command line can read empty (CI saw it): the old
        # check is for processes long running, as a state file's are.
        deadline = time.monotonic() + 5
        while script.cmdline(process.pid) != ["sleep", "30"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert script.runs(old)
        assert not script.runs({**old, "argv": ["nginx", "-c", "x"]})
    finally:
        process.kill()
        process.wait()
    assert not script.runs(old)
