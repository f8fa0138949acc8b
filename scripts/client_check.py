"""Generate a Python client from the live schema with openapi-python-client and run a web client's scenario through it.

`make client-check` (and `.ci/run`): a temporary folder holds a SQLite database, a filesystem broker and the
generated client; gunicorn (DEBUG off) and one Celery worker run on it through `scripts.stack.Stack`. The scenario
is what a web client does first: sign up, log in, create a company, upload a small CSV, poll the import until it
completes, list the imported leads. Every step goes through the generated code only, so a schema that generators
cannot turn into importable, working code fails here. Bounded (`--timeout`), and everything it started or wrote
is gone when it exits.
"""

from __future__ import annotations

import argparse
import importlib
import io
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import BIN, Stack, log, production_env  # noqa: E402

PACKAGE = "leadsy_client"
CSV = (
    b"First Name,Last Name,Email,Phone\n"
    b"Ana,Garcia,ana@example.com,+34612000001\n"
    b"Luis,Perez,luis@example.com,+34612000002\n"
    b"Bad,Row,not-an-email,\n"
)
# openapi-python-client formats its output with ruff by default; this check only needs the code.
GENERATOR_CONFIG = "post_hooks: []\n"


def generate_client(base_url: str, folder: Path) -> None:
    schema = folder / "schema.json"
    with urllib_open(f"{base_url}/api/schema?format=json") as response:
        schema.write_bytes(response.read())
    config = folder / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    command = [
        str(BIN / "openapi-python-client"), "generate", "--path", str(schema), "--config", str(config),
        "--meta", "none", "--output-path", str(folder / PACKAGE), "--fail-on-warning",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise SystemExit(f"openapi-python-client failed:\n{result.stdout}\n{result.stderr}")


def urllib_open(url: str):
    import urllib.request

    return urllib.request.urlopen(url, timeout=30)


def import_every_module(folder: Path):
    """Import the whole generated package: the issue's client failed right here (NameError in 20 modules)."""
    import pkgutil

    sys.path.insert(0, str(folder))
    package = importlib.import_module(PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
        importlib.import_module(module.name)
    return package


def expect(response, status: int, step: str):
    if response.status_code != status or response.parsed is None:
        raise SystemExit(f"{step}: expected {status}, got {response.status_code}: {response.content[:500]!r}")
    log(f"{step}: {response.status_code}")
    return response.parsed


def run_scenario(base_url: str, *, timeout: float) -> None:
    def api(name: str):
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    client_module = importlib.import_module(f"{PACKAGE}.client")
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    anonymous = client_module.Client(base_url=base_url, raise_on_unexpected_status=False)

    email, password = f"client-check-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    body = models.UserCreateRequest(first_name="Client", last_name="Check", email=email, password=password)
    # Sign-up is public; the generated signature asks for an AuthenticatedClient because a JWT may be sent too.
    expect(api("users.users_create").sync_detailed(client=anonymous, body=body), 201, "sign up")

    login = expect(
        api("users.users_login_create").sync_detailed(
            client=anonymous, body=models.LoginRequest(email=email, password=password)
        ),
        200,
        "log in",
    )
    client = client_module.AuthenticatedClient(base_url=base_url, token=login.token, raise_on_unexpected_status=False)

    company = expect(
        api("companies.companies_create").sync_detailed(
            client=client, body=models.CompanyCreateRequest(name="Client check")
        ),
        201,
        "create a company",
    ).company

    upload = models.ImportUploadRequest(
        file=types.File(payload=io.BytesIO(CSV), file_name="leads.csv", mime_type="text/csv"), company_id=company.id
    )
    import_file = expect(
        api("import_.import_create").sync_detailed(client=client, body=upload), 202, "upload a CSV"
    ).import_file

    deadline = time.monotonic() + timeout
    while True:
        status = expect(
            api("import_.import_retrieve").sync_detailed(client=client, import_code=import_file.import_code),
            200,
            "poll",
        ).import_file
        if str(status.status_name) == "completed":
            break
        if str(status.status_name) in ("failed", "cancelled") or time.monotonic() > deadline:
            raise SystemExit(f"import ended {status.status_name} (or timed out): {status.to_dict()}")
        time.sleep(0.5)
    if (status.total_records, status.failed_records) != (3, 1):
        raise SystemExit(f"unexpected counters: {status.to_dict()}")

    leads = expect(
        api("leads.companies_leads_list").sync_detailed(client=client, company_id=company.id), 200, "list leads"
    )
    emails = sorted(lead.email for lead in leads.leads)
    if emails != ["ana@example.com", "luis@example.com"]:
        raise SystemExit(f"unexpected leads: {emails}")
    log("scenario passed: sign up, log in, create a company, upload, poll until completed, list leads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120, help="seconds the import may take")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, generated client)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="leadsy-client-check-"))
    started = time.monotonic()
    try:
        var_dir = folder / "var"
        env = production_env(
            database_url=f"sqlite:///{var_dir / 'db.sqlite3'}",
            broker_url="filesystem://localhost/",
            cache_url="locmemcache://",
            var_dir=var_dir,
            CELERY_BROKER_DIR=str(var_dir / "broker"),
        )
        with Stack(env, var_dir) as stack:
            stack.manage("migrate", "--noinput", "-v", "0")
            base_url = stack.start_web(workers=1)
            stack.start_worker()
            log(f"stack up on {base_url}; generating the client")
            generate_client(base_url, folder)
            import_every_module(folder)
            log("generated client imported (every module)")
            run_scenario(base_url, timeout=args.timeout)
    finally:
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    log(f"client check passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
