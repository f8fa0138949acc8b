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


def test_debug_off_without_its_own_jwt_signing_key_is_an_error():
    env = {key: value for key, value in PRODUCTION.items() if key != "JWT_SIGNING_KEY"}
    base = {key: value for key, value in os.environ.items() if key != "JWT_SIGNING_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout + result.stderr
    assert "ERRORS:" in result.stderr and "leadsy.E001" in result.stderr


def test_debug_off_with_the_secret_key_as_jwt_key_is_an_error():
    result = run_check(**{**PRODUCTION, "JWT_SIGNING_KEY": PRODUCTION["SECRET_KEY"]})
    assert result.returncode != 0 and "leadsy.E001" in result.stderr


def test_dockerignore_keeps_customer_files_secrets_and_history_out_of_the_image():
    """Docker's own matching (patterns relative to the context root): every one of these must be ignored."""
    import fnmatch

    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(pattern.startswith("!") for pattern in patterns), "no exception may re-include a file"

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(
            fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
            for prefix in prefixes
            for pattern in patterns
        )

    for path in ("var", "var/db.sqlite3", "var/private/imports/a.csv", ".env", ".env.production", ".venv/bin/python",
                 ".git/config", "accounts/__pycache__/models.cpython-311.pyc", ".pytest_cache/v"):  # fmt: skip
        assert ignored(path), path
    for path in (
        "manage.py",
        "leadsy/settings.py",
        "requirements.txt",
        "accounts/templates/accounts/email/password.txt",
    ):
        assert not ignored(path), path
