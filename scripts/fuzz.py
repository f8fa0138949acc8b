"""Contract fuzzing of the live API (`make fuzz`): schemathesis against the project's own OpenAPI schema.

Starts a production-like stack (fresh PostgreSQL database, Redis, gunicorn -w 2 with DEBUG off, a Celery
worker), creates two tenants (owner_a and agent_a in company A, owner_b in company B), then runs:

1. the contract checks over every operation of the schema, authenticated as owner_a;
2. object-level authorization and ignored-auth checks with owner_a and owner_b as peers.

Exits non-zero when a check fails, an operation errors, or an operation of the schema was not tested.
Environment: DATABASE_URL (default postgresql://root@127.0.0.1:5432/leadsy_fuzz — dropped and recreated),
CELERY_BROKER_URL (redis://127.0.0.1:6379/13) and CACHE_URL (redis://127.0.0.1:6379/14), both emptied.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stack import BIN, ROOT, Stack, flush_redis, log, production_env, raised_throttles, recreate_database

CONTRACT_CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
TENANT_CHECKS = "object_level_authorization,ignored_auth"
PHASES = "examples,coverage,fuzzing"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", 30)))
    parser.add_argument("--tenant-max-examples", type=int, default=None, help="Default: same as -n.")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--workers", default="2", help="schemathesis workers")
    parser.add_argument("--skip-tenants", action="store_true", help="Only the contract run.")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "fuzz", help="Logs and reports.")
    return parser.parse_args()


def st_run(label: str, args: list[str], report: Path, config: Path | None = None) -> dict:
    command = [str(BIN / "st"), "--no-color"]
    if config is not None:
        command += ["--config-file", str(config)]
    command += ["run", *args, "--report", "json", "--report-json-path", str(report)]
    log(f"{label}: {' '.join(a if 'Bearer' not in a else 'Authorization: Bearer …' for a in command)}")
    started = time.monotonic()
    completed = subprocess.run(command, cwd=report.parent)
    elapsed = time.monotonic() - started
    data = json.loads(report.read_text()) if report.exists() else {}
    return {"label": label, "exit": completed.returncode, "seconds": elapsed, "report": data}


def summarize(run: dict) -> list[str]:
    """Problems found in one run's JSON report (an empty list means it passed)."""
    problems = []
    report = run["report"]
    if run["exit"] != 0:
        problems.append(f"schemathesis exited {run['exit']}")
    if not report:
        return [*problems, "no JSON report written"]
    operations = report.get("operations") or {}
    selected, tested = operations.get("selected"), operations.get("tested")
    if selected is not None and tested != selected:
        problems.append(f"only {tested} of {selected} operations tested")
    if operations.get("errored"):
        problems.append(f"{operations['errored']} operations errored")
    cases = report.get("test_cases") or {}
    if cases.get("with_failures") or cases.get("errored"):
        problems.append(
            f"{cases.get('unique_failures', cases.get('with_failures'))} unique failures, "
            f"{cases.get('errored', 0)} errored test cases"
        )
    # Mostly-401 answers mean the token broke mid-run; 429s mean a throttle was not raised: either
    # way the run did not reach the code it claims to have tested.
    warnings = report.get("warnings") or {}
    for name in ("missing_auth", "rate_limited"):
        if warnings.get(name):
            problems.append(f"warning {name}: {warnings[name]}")
    return problems


def toml_parameters(identity: dict) -> str:
    # Ids in paths, queries and JSON bodies fixed to owner_a's own objects: random ids stop at a 404.
    lines = [
        f'"{location}{name}" = {value}\n'
        for name, value in identity["parameters"].items()
        for location in ("", "body.")
    ]
    return "[parameters]\n" + "".join(lines)


def write_configs(identities: dict, folder: Path) -> tuple[Path, Path]:
    """schemathesis configs: the contract run's, and the tenants' with a Web Fuzzing Commons auth document
    holding every identity, owner_a and owner_b named as peers."""
    contract = folder / "schemathesis-contract.toml"
    contract.write_text(toml_parameters(identities["owner_a"]))
    tenants = folder / "tenants.json"
    tenants.write_text(
        json.dumps(
            {
                "auth": [
                    {
                        "name": name,
                        "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {identity['token']}"}],
                    }
                    for name, identity in identities.items()
                ]
            },
            indent=2,
        )
    )
    config = folder / "schemathesis-tenants.toml"
    config.write_text(
        f'[auth.wfc]\npath = "{tenants}"\nuser = "owner_a"\npeers = ["owner_a", "owner_b"]\n\n'
        + toml_parameters(identities["owner_a"])
    )
    return contract, config


def main() -> int:
    args = parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL", "postgresql://root@127.0.0.1:5432/leadsy_fuzz")
    broker_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/14")
    if not database_url.startswith("postgres"):
        print("make fuzz needs PostgreSQL: set DATABASE_URL=postgresql://...", file=sys.stderr)
        return 2
    started = time.monotonic()
    env = production_env(
        database_url=database_url,
        broker_url=broker_url,
        cache_url=cache_url,
        var_dir=out / "var",
        JWT_ACCESS_MINUTES="240",  # the tokens must outlive the run
        **raised_throttles(),
    )
    runs = []
    with Stack(env, out) as stack:
        log(f"fresh database {database_url.rsplit('/', 1)[-1]}; emptying {broker_url} and {cache_url}")
        recreate_database(database_url, fresh=True)
        flush_redis(broker_url, cache_url)
        stack.manage("migrate", "--noinput", "-v", "0")
        identities = stack.identities()
        contract_config, tenants_config = write_configs(identities, out)
        base = stack.start_web(workers=2)
        stack.start_worker()
        log(f"stack up at {base} in {time.monotonic() - started:.0f}s")
        schema = f"{base}/api/schema/?format=json"
        common = [
            "--phases", PHASES, "--seed", str(args.seed), "--workers", args.workers,
            "--request-timeout", "20", "--generation-database", "none",
        ]  # fmt: skip
        owner_a = ["-H", f"Authorization: Bearer {identities['owner_a']['token']}"]
        contract = [schema, *owner_a, "--checks", CONTRACT_CHECKS, "-n", str(args.max_examples), *common]
        runs.append(st_run("contract (owner_a)", contract, out / "contract.json", config=contract_config))
        if not args.skip_tenants:
            examples = str(args.tenant_max_examples or args.max_examples)
            tenants = [schema, "--checks", TENANT_CHECKS, "-n", examples, *common]
            runs.append(
                st_run("tenants (owner_a vs owner_b)", tenants, out / "tenants-report.json", config=tenants_config)
            )
    failed = False
    print("\n== fuzz summary")
    for run in runs:
        operations = run["report"].get("operations", {})
        problems = summarize(run)
        failed = failed or bool(problems)
        print(
            f"{run['label']:<30} {'FAIL' if problems else 'ok':<5} {run['seconds']:6.0f}s  "
            f"operations tested {operations.get('tested', '?')}/{operations.get('selected', '?')}"
            + (f"  — {'; '.join(problems)}" if problems else "")
        )
    print(f"total {time.monotonic() - started:.0f}s; reports and logs in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
