"""`make run`'s supervisor: the web server and the Celery worker (with beat), stopped together and for sure.

A shell's `trap 'kill 0'` left workers behind: Celery's warm shutdown waits for a running import, the shell
did not wait for it, and the pool children outlived their parent. Here each process starts in a process
group of its own (the terminal's Ctrl-C reaches only this supervisor); Ctrl-C or TERM (or either process
exiting) sends TERM to both processes (Celery stops its pool children itself), waits GRACE seconds for their
whole groups to end, then KILLs the groups, pool children included, and waits for them. An import cut short
is safe: its lease expires and the next worker resumes it from its checkpoint.

Usage: python scripts/run.py ADDR   (from the project folder, with the venv's python)
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE = 10.0  # seconds for a warm shutdown before the groups are killed


def _commands(addr: str) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "worker": [str(bin_dir / "celery"), "-A", "leadsy", "worker", "--beat", "--loglevel", "INFO",
                   "--concurrency", "2"],
        "web": [sys.executable, "manage.py", "runserver", "--noreload", addr],
    }  # fmt: skip


def _signal_groups(processes: dict[str, subprocess.Popen], signum: int) -> None:
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)  # the group's id is the leader's pid (start_new_session)


def _alive(processes: dict[str, subprocess.Popen]) -> bool:
    """True while any process of either group remains (a pool child can outlive its parent)."""
    for process in processes.values():
        process.poll()
        try:
            os.killpg(process.pid, 0)
            return True
        except ProcessLookupError:
            continue
    return False


def main(addr: str) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    processes = {name: subprocess.Popen(command, start_new_session=True) for name, command in _commands(addr).items()}
    while not stopping and all(process.poll() is None for process in processes.values()):
        time.sleep(0.2)
    for name, process in processes.items():
        if process.poll() is not None and not stopping:
            print(f"run: {name} exited with {process.returncode}; stopping the others", file=sys.stderr)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + GRACE
    while _alive(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(processes):
        print(f"run: still running after {GRACE:.0f} s; killing", file=sys.stderr)
        _signal_groups(processes, signal.SIGKILL)
        while _alive(processes):
            time.sleep(0.1)
    for process in processes.values():
        process.wait()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000"))
