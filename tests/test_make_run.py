"""`make run`'s processes stop promptly and cleanly: the process manager, the worker and the simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import Process, app_env, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wait_until_answering(url: str, process: Process) -> None:
    deadline = time.monotonic() + 40
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            assert process.popen.poll() is None and time.monotonic() < deadline, process.output()[-3000:]
            time.sleep(0.2)


def stop_and_time(process: Process, signum: int) -> tuple[float, int]:
    started = time.monotonic()
    process.popen.send_signal(signum)
    try:
        code = process.popen.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"still running 10 s after {signal.Signals(signum).name}:\n{process.output()[-3000:]}")
    return time.monotonic() - started, code


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_worker_stops_within_two_seconds(simulator, tmp_path, signum):
    worker = Process([sys.executable, "manage.py", "qcluster"], app_env(simulator, tmp_path), tmp_path / "q.log")
    deadline = time.monotonic() + 30
    while "running." not in worker.output():
        assert time.monotonic() < deadline, worker.output()
        time.sleep(0.1)
    seconds, code = stop_and_time(worker, signum)
    assert seconds < 2, worker.output()[-2000:]
    assert code == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_simulator_stops_within_two_seconds(tmp_path, signum):
    port = free_port()
    sim = Process(
        [sys.executable, "manage.py", "buz_simulator", "--port", str(port)], dict(os.environ), tmp_path / "s.log"
    )
    wait_until_answering(f"http://127.0.0.1:{port}/", sim)
    seconds, _ = stop_and_time(sim, signum)
    assert seconds < 2


def test_the_process_manager_stops_everything_quickly_and_reports_success(simulator, tmp_path):
    port, sim_port = free_port(), free_port()
    env = app_env(
        simulator,
        tmp_path,
        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        BUZETA_PORT=str(port),
        BUZ_SIM_PORT=str(sim_port),
    )
    manager = Process(
        [sys.executable, "-m", "buzeta.operations.procfile", "start", "-f", "Procfile"], env, tmp_path / "m.log"
    )
    wait_until_answering(f"http://127.0.0.1:{port}/", manager)
    while "Q Cluster" not in manager.output() or "running" not in manager.output():
        time.sleep(0.1)
    started_children = children_of(manager.popen.pid)
    seconds, code = stop_and_time(manager, signal.SIGTERM)
    log = manager.output()
    assert seconds < 3, log[-3000:]
    assert code == 0, log[-3000:]
    assert "SIGKILL" not in log
    assert "worker.1 stopped (rc=0)" in log
    wait_until(lambda: not [pid for pid in started_children if Path(f"/proc/{pid}").exists()], timeout=5)
