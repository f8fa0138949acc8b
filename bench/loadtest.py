"""Load test (`make loadtest`): wrk at 50 connections against gunicorn -w 2 with DEBUG off on PostgreSQL.

Seeds 100k leads into company A with one set-based INSERT, an import, and the fixture identities
of `create_test_identities`; then drives each endpoint of ENDPOINTS in turn and prints requests/s,
p50/p99 latency and the error rate, and the import-status / baseline ratio (target >= 0.7). The import
status and the lead list are measured once more while a worker imports a generated 200k-row file
(`--import-rows`; one after another into new companies, enough to keep the worker busy for the whole
measurement): their p99 should stay within 2 x of the figure without it.
An endpoint answering 404 (its app not merged yet) is reported as such and skipped.

Environment: DATABASE_URL (default postgresql://root@127.0.0.1:5432/leadsy_load, dropped and created
again each run), CACHE_URL (redis://127.0.0.1:6379/14, emptied), CELERY_BROKER_URL (…/13).
Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.stack import ROOT, Stack, flush_redis, log, production_env, raised_throttles, recreate_database

# name, method, path ({company_id} and {import_code} are filled in), connections (None: --connections).
# Change the table, not the code, when a path moves. Login hashes a password (about 0.27 s of CPU
# each), so it runs with fewer connections and is compared to nothing.
ENDPOINTS = [
    ("baseline validate_jwt", "GET", "/api/v1/users/validate_jwt", None),
    ("import status", "GET", "/api/v1/import/{import_code}", None),
    ("company list", "GET", "/api/v1/companies", None),
    ("lead list", "GET", "/api/v1/companies/{company_id}/leads?per_page=25", None),
    ("login", "POST", "/api/v1/users/login", 10),
    # Unauthenticated, but it touches the database and the broker: shows the rig itself works.
    ("health", "GET", "/api/v1/health", None),
]
BASELINE, RATIO_OF, RATIO_TARGET = "baseline validate_jwt", "import status", 0.7
DURING_IMPORT_P99_TARGET = 2.0

# wrk prints its own summary; this one is for the script to read.
LUA_TEMPLATE = """
wrk.method = {method}
wrk.headers["Authorization"] = {authorization}
{body}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "LOADTEST {{\\"requests\\": %d, \\"duration_us\\": %d, \\"connect\\": %d, \\"read\\": %d, " ..
    "\\"write\\": %d, \\"status\\": %d, \\"timeout\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--only", action="append", help="run only endpoints whose name contains this")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "loadtest")
    parser.add_argument(
        "--import-rows",
        type=int,
        default=200_000,
        help="then measure the reads again while a worker imports a file of this many rows (0: skip)",
    )
    return parser.parse_args()


def seed(env: dict, leads: int) -> dict:
    """Identities, `leads` leads in company A (one INSERT … SELECT generate_series) and one import."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsy.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, models, transaction
    from django.utils import timezone

    from campaigns.models import Lead
    from imports.models import ImportFile

    out = _Capture()
    call_command("create_test_identities", stdout=out)
    identities = json.loads(out.text)
    owner = identities["owner_a"]
    company_id = owner["company_id"]
    existing = Lead.objects.filter(company_id=company_id).count()
    if existing < leads:
        started = time.monotonic()
        # Built from the model so that a field added later gets its default; only the varying ones are set.
        columns, values, params = [], [], []
        for field in Lead._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(connection.ops.quote_name(field.column))
            if field.name == "company":
                values.append("%s")
                params.append(company_id)
            elif field.name == "email":
                values.append("'load-' || i || '@example.com'")
            elif field.name in ("first_name", "last_name"):
                values.append(f"'{field.name.split('_')[0].title()} ' || i")
            elif isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
                values.append("%s::timestamptz - i * interval '1 second'")
                params.append(timezone.now())
            elif field.null and not field.has_default():
                values.append("NULL")
            else:
                values.append("%s")
                params.append(field.get_db_prep_save(field.get_default(), connection))
        sql = (
            f"INSERT INTO {connection.ops.quote_name(Lead._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(%s, %s) AS i"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*params, existing + 1, leads])
        log(f"seeded {leads - existing} leads in {time.monotonic() - started:.1f}s")
    # What autovacuum would have done by now: fresh planner statistics (without them the lead list plans
    # for an empty table, 0.2 s instead of 0.03 s a page) and the visibility map, which lets the
    # list's COUNT(*) read the index alone.
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Lead._meta.db_table)}")
    import_file = ImportFile.objects.filter(company_id=company_id).first() or ImportFile.objects.create(
        company_id=company_id,
        imported_by_id=owner["user_id"],
        original_name="load.csv",
        original_file="imports/originals/load.csv",
        status=ImportFile.Status.COMPLETED,
        total_records=leads,
        processed_records=leads,
    )
    connection.close()
    return {"identities": identities, "company_id": company_id, "import_code": import_file.import_code}


class _Capture:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def probe(url: str, method: str, headers: dict, body: bytes | None) -> int:
    # A loopback http URL this script built.
    request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def run_wrk(url: str, lua: Path, *, threads: int, connections: int, duration: int) -> tuple[dict, str]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", str(lua), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^LOADTEST (\{.*\})$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    return json.loads(match.group(1)), output


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL", "postgresql://root@127.0.0.1:5432/leadsy_load")
    broker_url = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    cache_url = os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/14")
    env = production_env(
        database_url=database_url,
        broker_url=broker_url,
        cache_url=cache_url,
        var_dir=out / "var",
        JWT_ACCESS_MINUTES="240",
        **raised_throttles(),
    )
    endpoints = [e for e in ENDPOINTS if not args.only or any(part in e[0] for part in args.only)]
    results = []
    with Stack(env, out) as stack:
        # Fresh each run: earlier runs' import phases leave millions of rows (and a bloated table) behind.
        recreate_database(database_url, fresh=True)
        flush_redis(cache_url)
        stack.manage("migrate", "--noinput", "-v", "0")
        data = seed(env, args.leads)
        owner = data["identities"]["owner_a"]
        base = stack.start_web(workers=2)
        log(f"gunicorn -w 2 at {base}; {args.duration}s per endpoint")
        for name, method, template, connections in endpoints:
            path = template.format(company_id=data["company_id"], import_code=data["import_code"])
            url = f"{base}{path}"
            headers = {"Authorization": f"Bearer {owner['token']}"}
            body = None
            if method == "POST":
                body = json.dumps({"email": owner["email"], "password": owner["password"]}).encode()
                headers["Content-Type"] = "application/json"
            status = probe(url, method, headers, body)
            if status == 404:
                results.append({"name": name, "skipped": "404: endpoint not there (not merged yet?)"})
                log(f"{name}: {path} answers 404, skipped")
                continue
            lua = write_lua(out, name, method, headers, body)
            conns = connections or args.connections
            if args.warmup:
                run_wrk(url, lua, threads=args.threads, connections=conns, duration=args.warmup)
            log(f"{name}: {method} {path}, {conns} connections, {args.duration}s (probe answered {status})")
            results.append(measure(url, lua, name, status, conns, args, out))
            if name in DURING_IMPORT and args.import_rows:
                running = start_imports(stack, out, owner, args.import_rows, args.duration)
                log(f"{name} again while a worker imports {args.import_rows:,}-row files back to back")
                during = measure(url, lua, f"{name} during import", status, conns, args, out)
                during["import_busy"] = running.coverage()
                results.append(during)
                settle_after_import(running)
    return report(results, out)


DURING_IMPORT = ("import status", "lead list")


def write_lua(out: Path, name: str, method: str, headers: dict, body: bytes | None) -> Path:
    lua = out / (re.sub(r"\W+", "_", name) + ".lua")
    lua.write_text(
        LUA_TEMPLATE.format(
            method=json.dumps(method),
            authorization=json.dumps(headers["Authorization"]),
            body=(
                f"wrk.body = {json.dumps(body.decode())}\nwrk.headers['Content-Type'] = 'application/json'"
                if body
                else ""
            ),
        )
    )
    return lua


def measure(url: str, lua: Path, name: str, status: int, conns: int, args, out: Path) -> dict:
    summary, raw = run_wrk(url, lua, threads=args.threads, connections=conns, duration=args.duration)
    (out / (re.sub(r"\W+", "_", name) + ".txt")).write_text(raw)
    errors = sum(summary[key] for key in ("connect", "read", "write", "status", "timeout"))
    return {
        "name": name,
        "probe_status": status,
        "connections": conns,
        "rps": summary["requests"] / (summary["duration_us"] / 1e6),
        "p50_ms": summary["p50_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "requests": summary["requests"],
        "errors": errors,
        "error_rate": errors / max(summary["requests"], 1),
    }


def settle_after_import(running: ImportsRunning) -> None:
    """Cancel the imports still queued or running, wait for the worker to stop, then do what autovacuum
    would have done by the next measurement: without fresh statistics after so many new rows the planner
    takes company A's 100k leads for the whole table and counts them with a sequential scan (autovacuum
    is off on some machines, this one included)."""
    from django.db import connection

    running.cancel_the_rest()
    deadline = time.monotonic() + 120
    while running.holding_a_lease() and time.monotonic() < deadline:
        time.sleep(0.5)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE campaigns_lead")


def start_imports(stack: Stack, out: Path, owner: dict, rows: int, seconds: int) -> ImportsRunning:
    """Queue imports of a generated file, each into a new company of owner_a (so its rows are new leads),
    enough of them back to back for the worker to stay busy for the whole measurement; return once
    the worker has started the first."""
    from django.contrib.auth import get_user_model

    from bench.leadgen import write_lead_file
    from billing.models import Membership
    from billing.services import membership_attach
    from companies.models import Access, Company, UserAccess
    from imports.models import ImportFile
    from imports.services import import_file_create

    if not stack.workers:
        stack.start_worker()
    path = out / f"import-{rows}.csv"
    if not path.exists():
        write_lead_file(path, rows)
    user = get_user_model().objects.get(email=owner["email"])
    biggest = Membership.objects.order_by("-max_leads_per_import").first()
    pks = []
    # About 40k rows/s here while the reads run: a 200k file lasts ~5 s.
    for _ in range(max(1, seconds * IMPORT_ROWS_PER_SECOND // rows + 2)):
        company = Company.objects.create(name=f"{LOAD_IMPORT_COMPANY} {time.time_ns()}", country="ES")
        UserAccess.objects.create(user=user, company=company, access=Access.objects.get(name="owner"))
        if biggest is not None:
            membership_attach(company=company, membership=biggest)
        pks.append(import_file_create(user=user, company=company, file=str(path), name=path.name, options={}).pk)
    deadline = time.monotonic() + 60
    while ImportFile.objects.get(pk=pks[0]).status == ImportFile.Status.PENDING:
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not start the import within 60 s")
        time.sleep(0.1)
    return ImportsRunning(pks, rows)


IMPORT_ROWS_PER_SECOND = 40_000
LOAD_IMPORT_COMPANY = "Load import"


class ImportsRunning:
    def __init__(self, pks: list[int], rows: int):
        self.pks, self.rows = pks, rows

    def _imports(self):
        from imports.models import ImportFile

        return ImportFile.objects.filter(pk__in=self.pks)

    def holding_a_lease(self) -> bool:
        return self._imports().exclude(lease_owner="").exists()

    def cancel_the_rest(self) -> None:
        from imports.services import import_file_cancel

        for import_file in self._imports():
            if not import_file.is_finished:
                import_file_cancel(import_file=import_file)

    def coverage(self) -> str:
        """Whether an import ran for the whole measurement (else the figures cover only part of it)."""
        imports = list(self._imports())
        completed = sum(i.status == i.Status.COMPLETED for i in imports)
        busy = any(not i.is_finished for i in imports)
        verdict = "still importing at the end" if busy else "OUT OF IMPORTS before the end (figures diluted)"
        return (
            f"{completed} of {len(imports)} queued imports of {self.rows:,} rows completed during the reads; {verdict}"
        )


def report(results: list[dict], out: Path) -> int:
    print("\n== load test (gunicorn -w 2, DEBUG off, PostgreSQL)")
    print(f"{'endpoint':<24}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>9}{'error rate':>12}")
    for r in results:
        if "skipped" in r:
            print(f"{r['name']:<24}{'':>6}  {r['skipped']}")
            continue
        print(
            f"{r['name']:<24}{r['connections']:>6}{r['rps']:>10.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['errors']:>9}{r['error_rate']:>11.2%}"
        )
    for r in results:
        if "import_busy" in r:
            print(f"  {r['name']}: {r['import_busy']}")
    by_name = {r["name"]: r for r in results if "skipped" not in r}
    failed = any(r["errors"] for r in by_name.values())
    for r in by_name.values():
        if not r["requests"]:
            failed = True
            print(f"{r['name']}: no request completed within the run: every one took longer (try a longer --duration)")
    for name in DURING_IMPORT:
        during = by_name.get(f"{name} during import")
        if name in by_name and during:
            ratio = during["p99_ms"] / by_name[name]["p99_ms"]
            verdict = "ok" if ratio <= DURING_IMPORT_P99_TARGET else "ABOVE TARGET"
            target = DURING_IMPORT_P99_TARGET
            print(f"{name}: p99 during an import / without = {ratio:.2f} (target <= {target}): {verdict}")
    if BASELINE in by_name and RATIO_OF in by_name:
        ratio = by_name[RATIO_OF]["rps"] / by_name[BASELINE]["rps"]
        verdict = "ok" if ratio >= RATIO_TARGET else "BELOW TARGET"
        failed = failed or ratio < RATIO_TARGET
        print(f"\n{RATIO_OF} / {BASELINE} = {ratio:.2f} (target >= {RATIO_TARGET}): {verdict}")
    else:
        print(f"\n{RATIO_OF} / {BASELINE}: n/a (one of them was not measured)")
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(f"raw wrk output and results.json in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
