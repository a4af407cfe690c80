"""A killed 'dun publish' leaves no process behind (issue 16 item 8): its PDF workers, forked
side processes, fork server and resource tracker all end when it does."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import main

REPO = Path(__file__).resolve().parent.parent
ON = "2026-11-20"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def _session(sid: int) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every live process in session ``sid``."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] not in "ZX":
                found[int(name)] = (int(fields[1]), Path(f"/proc/{name}/cmdline").read_bytes().decode(errors="replace"))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _poll(condition, limit: float):
    """Check ``condition`` every few milliseconds until it holds (its value) or ``limit`` seconds pass (None)."""
    end = time.monotonic() + limit
    while True:
        got = condition()
        if got or time.monotonic() > end:
            return got
        time.sleep(0.02)


def test_kill_9_of_a_publish_leaves_no_process_behind(tmp_path, capsys):
    book = tmp_path / "book"
    assert main(["demo", str(book), "--clients", "40", "--invoices", "600", "--on", ON]) == 0
    capsys.readouterr()
    env = {**os.environ, "PYTHONPATH": str(REPO), "DUN_NO_BACKGROUND": "1", "DUN_BOOK": str(book)}
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "publish", "--book", str(book), "--on", ON, "--full"],
                            cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sid = proc.pid
    seen: dict[int, tuple[int, str]] = {}
    try:
        def pdf_workers():
            procs = _session(sid)
            seen.update(procs)
            servers = {pid for pid, (_, cmd) in procs.items() if "multiprocessing.forkserver" in cmd}
            return [pid for pid, (ppid, _) in procs.items() if ppid in servers]

        assert _poll(pdf_workers, 120), f"no PDF worker started: {seen}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        left = _poll(lambda: not _session(sid), 60)
        assert left, f"still running after the publish was killed: {_session(sid)}"
        assert len(seen) >= 4  # the publish, its fork server, a resource tracker and PDF workers were there
    finally:
        proc.kill()
        proc.wait()
        for pid in _session(sid):  # whatever this test started and is still there
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
