"""A production-like Leadsy stack on loopback for the fuzzing and load rigs.

PostgreSQL database (created or recreated, migrated), gunicorn `-w 2` with DEBUG off and a Celery
worker, all on this machine. Every process started here is stopped when the `Stack` closes, also on
Ctrl-C or SIGTERM (they run in their own process groups, so their children go too).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.faults import free_port, start_worker  # noqa: E402

BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def recreate_database(url: str, *, fresh: bool) -> None:
    """Create the database named in `url` if missing; drop it first when `fresh`."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(*urls: str) -> None:
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


def raised_throttles(rate: str = "100000000/min") -> dict[str, str]:
    """Every throttle rate variable the settings read (THROTTLE_*), set to `rate`: found in the settings
    file, so that a throttle added by a later app is raised without editing this list."""
    names = re.findall(r"""env\.str\(\s*["'](THROTTLE_\w+)["']""", (ROOT / "leadsy" / "settings.py").read_text())
    return dict.fromkeys(sorted(set(names)), rate)


def production_env(*, database_url: str, broker_url: str, cache_url: str, var_dir: Path, **extra: str) -> dict:
    """Settings as in production (DEBUG off, real keys), except plain HTTP on loopback."""
    return {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": cache_url,
        "LEADSY_VAR_DIR": str(var_dir),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class Stack:
    def __init__(self, env: dict, var_dir: Path):
        self.env = env
        self.var_dir = var_dir
        var_dir.mkdir(parents=True, exist_ok=True)
        self.processes: list[subprocess.Popen] = []
        self.workers = []
        self.base_url = ""

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            text=True,
            stdout=subprocess.PIPE if capture else None,
        )
        return result.stdout or ""

    def identities(self) -> dict:
        return json.loads(self.manage("create_test_identities", capture=True))

    def start_web(self, workers: int = 2, port: int | None = None) -> str:
        port = port or free_port()
        logfile = open(self.var_dir / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process group
        command = [
            str(BIN / "gunicorn"), "leadsy.wsgi:application",
            "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "60",
            "--error-logfile", "-",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.var_dir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/v1/health", timeout=2) as response:
                    if response.status == 200:
                        return self.base_url
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer healthy; see {self.var_dir / 'gunicorn.log'}")

    def start_worker(self, concurrency: int = 1):
        worker = start_worker(
            database_url=self.env["DATABASE_URL"],
            broker_url=self.env["CELERY_BROKER_URL"],
            concurrency=concurrency,
            include=(),
            env=self.env,
        )
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.workers:
            (self.var_dir / f"worker-{worker.name}.log").write_text(worker.log_text)
            worker.stop(timeout=10)
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(5)

    def __enter__(self) -> Stack:
        # Ctrl-C and SIGTERM unwind through __exit__, which stops everything started.
        def _exit(signum, frame):
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, _exit)
        signal.signal(signal.SIGHUP, _exit)
        return self

    def __exit__(self, *exc) -> None:
        self.close()
