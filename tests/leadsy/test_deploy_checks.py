import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "api.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/9",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
}


def test_production_settings_pass_check_deploy():
    result = run_check(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_about_per_process_throttles_and_the_filesystem_broker():
    result = run_check(**{**PRODUCTION, "CACHE_URL": "locmemcache://", "CELERY_BROKER_URL": "filesystem://"})
    assert result.returncode != 0
    assert "leadsy.W002" in result.stderr and "leadsy.W003" in result.stderr


def test_refuses_to_start_with_the_development_secret_key_when_debug_is_off():
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**env, "DEBUG": "False"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
