"""Real processes to break on purpose: a Celery worker, a private Redis, PostgreSQL connections.

Used by the `celery_worker` fixture, by the fault tests (worker SIGKILL, Redis restart, dropped database
connections) and by `scripts/fuzz.py`. Nothing here mocks: each helper starts or kills a real process.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid`, read from /proc (psutil is not a dependency)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def pid_alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class WorkerProcess:
    """A Celery worker started in its own process group, so that one signal reaches its children too."""

    def __init__(self, process: subprocess.Popen, name: str, application_name: str):
        self.process = process
        self.name = name
        # The PostgreSQL `application_name` of its connections: `terminate_backends` aims at it.
        self.application_name = application_name
        self.log: list[str] = []
        self.ready = threading.Event()
        self._pump = threading.Thread(target=self._read_output, daemon=True)
        self._pump.start()

    def _read_output(self) -> None:
        for line in self.process.stdout:
            self.log.append(line)
            if " ready." in line:
                self.ready.set()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_text(self) -> str:
        return "".join(self.log)

    def children(self) -> list[int]:
        """The prefork pool's processes (where the tasks run)."""
        return child_pids(self.pid)

    def wait_for_log(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text:
                return True
            time.sleep(0.1)
        return False

    def kill_hard(self) -> list[int]:
        """SIGKILL the main process and every pool child at once (a machine or OOM kill); return their pids."""
        pids = [self.pid, *self.children()]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(10)
        deadline = time.monotonic() + 10
        while any(pid_alive(pid) for pid in pids[1:]) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pids

    def kill_child(self, sig: int = signal.SIGKILL) -> int:
        """Signal one pool child (the task's process) and leave the main process alive; return its pid."""
        children = self.children()
        if not children:
            raise RuntimeError("the worker has no pool child")
        os.kill(children[0], sig)
        return children[0]

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM: finish the running task); SIGKILL the group if it takes longer."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_hard()

    def __getattr__(self, name):
        # Callers of the former fixture used the Popen object itself (`poll`, `returncode`, ...).
        return getattr(self.process, name)


def start_worker(
    *,
    database_url: str,
    broker_url: str,
    concurrency: int = 1,
    include: tuple[str, ...] = ("tests.support.tasks",),
    env: dict[str, str] | None = None,
    ready_timeout: float = 60,
    extra_args: tuple[str, ...] = (),
) -> WorkerProcess:
    """Start `celery -A leadsy worker` on this database and broker; return once it is ready to consume.

    Raises RuntimeError (with the end of its log) when it is not ready in time.
    """
    name = f"w{uuid.uuid4().hex[:8]}"
    application_name = f"leadsy-worker-{name}"
    if database_url.startswith("postgres"):
        separator = "&" if "?" in database_url else "?"
        database_url = f"{database_url}{separator}application_name={application_name}"
    worker_env = {
        **os.environ,
        **(env or {}),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "leadsy", "worker",
        *(arg for module in include for arg in ("-I", module)),
        "--concurrency", str(concurrency), "--loglevel", "INFO",
        "-n", f"{name}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: kill_hard reaches the pool children
    )
    worker = WorkerProcess(process, name, application_name)
    atexit.register(worker.stop, 5)
    if not worker.ready.wait(ready_timeout):
        worker.kill_hard()
        raise RuntimeError("Celery worker did not start:\n" + "".join(worker.log[-50:]))
    return worker


class RedisServer:
    """A private redis-server on a free loopback port, in its own folder, that a test may stop and start.

    Never the shared Redis: restarting that would break every other process using it.
    """

    def __init__(self, port: int | None = None, appendonly: bool = True):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.port = port or free_port()
        self.appendonly = appendonly
        self.dir = Path(tempfile.mkdtemp(prefix="leadsy-redis-"))
        self.process: subprocess.Popen | None = None
        atexit.register(self.close)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10) -> None:
        command = [
            self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
            "--save", "", "--appendonly", "yes" if self.appendonly else "no",
            "--maxmemory-policy", "noeviction", "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, hard: bool = False) -> None:
        """Stop it: SIGTERM (like `shutdown`, AOF kept) or SIGKILL (a crash)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        self.process.wait(10)

    def restart(self, down_for: float = 0, hard: bool = False) -> None:
        """Stop, stay down `down_for` seconds, start again on the same port with the same data folder."""
        self.stop(hard=hard)
        time.sleep(down_for)
        self.start()

    def close(self) -> None:
        self.stop(hard=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def terminate_backends(*, application_name: str | None = None, using: str = "default") -> int:
    """`pg_terminate_backend` every other connection to the current database (or only those of one
    `application_name`, e.g. `WorkerProcess.application_name`); return how many were terminated."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RuntimeError("terminate_backends needs PostgreSQL")
    query = (
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    params: list[str] = []
    if application_name is not None:
        query += " AND application_name = %s"
        params.append(application_name)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


class LocalPostgres:
    """The PostgreSQL server behind a Django connection, when it runs on this host: to restart it on
    purpose (every session ended, as in a failover or a minor upgrade) and to make sure it is back.

    A Debian cluster (`/etc/postgresql/<version>/<name>`) is driven with `pg_ctlcluster`, any other data
    directory with `pg_ctl` as its owner. Needs root.
    """

    LOCAL_HOSTS = ("", "127.0.0.1", "localhost", "::1")

    def __init__(self, using: str = "default"):
        from django.db import connections

        self.using = using
        connection = connections[using]
        settings = connection.settings_dict
        self.host = settings["HOST"] or "127.0.0.1"
        self.port = str(settings["PORT"] or 5432)
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            self.data_directory = Path(cursor.fetchone()[0])
            cursor.execute("SHOW server_version_num")
            self.major = str(int(cursor.fetchone()[0]) // 10000)

    def refusal(self) -> str | None:
        """Why this test process may not restart the server, or None."""
        if self.host not in self.LOCAL_HOSTS:
            return f"PostgreSQL runs on {self.host}, not on this host"
        if os.geteuid() != 0:
            return "restarting PostgreSQL needs root"
        if self._debian_cluster() is None and not self._pg_ctl().exists():
            return f"neither pg_ctlcluster nor {self._pg_ctl()} can control {self.data_directory}"
        others = self.other_databases_in_use()
        if others:
            return f"other databases have sessions on this server (restarting would cut them off): {', '.join(others)}"
        return None

    def other_databases_in_use(self) -> list[str]:
        """Databases other than this connection's with client sessions (another test run, a benchmark)."""
        from django.db import connections

        with connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT datname FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND datname IS NOT NULL AND datname <> current_database() ORDER BY 1"
            )
            return [name for (name,) in cursor.fetchall()]

    def _debian_cluster(self) -> tuple[str, str] | None:
        version, name = self.data_directory.parent.name, self.data_directory.name
        debian = Path(f"/etc/postgresql/{version}/{name}").is_dir() and shutil.which("pg_ctlcluster")
        return (version, name) if version == self.major and debian else None

    def _pg_ctl(self) -> Path:
        return Path(f"/usr/lib/postgresql/{self.major}/bin/pg_ctl")

    def _control(self, action: str, *options: str) -> None:
        cluster = self._debian_cluster()
        if cluster is not None:
            command = ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action, *options]
        else:
            owner = self.data_directory.owner()
            command = ["runuser", "-u", owner, "--", str(self._pg_ctl()), "-D", str(self.data_directory), "-w", action]
            command += options
        # Into a file, not a pipe: the postmaster it starts inherits the output and never closes it.
        with tempfile.TemporaryFile() as output:
            result = subprocess.run(command, check=False, stdout=output, stderr=subprocess.STDOUT, timeout=120)
            if result.returncode != 0:
                output.seek(0)
                raise RuntimeError(f"{' '.join(command)} failed:\n{output.read().decode(errors='replace')}")

    def accepts_connections(self) -> bool:
        command = ["pg_isready", "-q", "-h", self.host, "-p", self.port, "-t", "2"]
        return subprocess.run(command, check=False, timeout=10).returncode == 0

    def restart(self) -> None:
        """`restart -m fast`: every session is ended, the server is back when this returns."""
        self._control("restart", "-m", "fast")

    def ensure_running(self, timeout: float = 60) -> None:
        """Start the server again if it is not accepting connections (a restart that failed half-way)."""
        if self.accepts_connections():
            return
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):  # then wait, and say so if it is down
            self._control("start")
        deadline = time.monotonic() + timeout
        while not self.accepts_connections():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on {self.host}:{self.port} is not up again")
            time.sleep(0.5)
