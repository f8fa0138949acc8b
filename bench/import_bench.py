"""`make bench`: import speed and memory, each against a baseline measured in the same run.

1. A seeded 1,000,000-row CSV (about 2% invalid emails, 1% duplicate emails of which half differ only
   in case, unique valid phones) imported through the worker's code path (`import_file_process`) into
   PostgreSQL, against a plain `COPY` of the same file into a bare table. Target: ≥ 0.4 x COPY rows/s,
   peak RSS ≤ 500 MB.
2. A 100,000-row XLSX imported the same way, against merely reading it with pandas + calamine.
   Target: ≥ 0.5 x the read's rows/s.
3. Peak RSS of importing an XLSX at the size limit (skipped with --quick). Target: ≤ 1 GiB.

Each measurement runs in a child process so its peak RSS is its own (os.wait4). Files are cached in
var/bench/ (same seed, same file); the stored imports of a run go to var/bench/run/. Uses DATABASE_URL,
default postgresql://root@127.0.0.1:5432/leadsy_bench, dropped and created again each run.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
RUN_DIR = BENCH_DIR / "run"
DEFAULT_DATABASE_URL = "postgresql://root@127.0.0.1:5432/leadsy_bench"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsy.settings")
    import django

    django.setup()


# ---- children: each prints one JSON line -------------------------------------------------------


def child_import(path: Path) -> dict:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from companies.models import Access, Company, UserAccess
    from imports.services import import_file_create, import_file_process

    company = Company.objects.create(name=f"Bench {time.time_ns()}", country="ES")
    user = get_user_model().objects.create(email=f"bench-{time.time_ns()}@example.com", status="active")
    UserAccess.objects.create(user=user, company=company, access=Access.objects.get(name="owner"), primary=True)
    _lift_plan_limit(company)
    started = time.perf_counter()
    with path.open("rb") as handle:
        import_file = import_file_create(
            user=user, company=company, file=File(handle, name=path.name), name=path.name,
            options={"on_duplicate": "skip"}, enqueue=False,
        )  # fmt: skip
    import_file = import_file_process(import_file_id=import_file.pk)
    seconds = time.perf_counter() - started
    leads = company.leads.count()
    return {
        "seconds": seconds,
        "status": import_file.get_status_display(),
        "error_message": import_file.error_message,
        "rows": import_file.total_records,
        "failed": import_file.failed_records,
        "imported": leads,
    }


def _lift_plan_limit(company) -> None:
    """The bench measures the pipeline, not the plan: put the company on the biggest plan there is."""
    try:
        from billing.models import Membership
        from billing.services import membership_attach
    except ImportError:
        return
    biggest = Membership.objects.order_by("-max_leads_per_import").first()
    if biggest is not None:
        membership_attach(company=company, membership=biggest)


def child_copy(path: Path) -> dict:
    """The floor: psycopg 3 COPY of the same CSV into a bare table, streamed in 1 MiB blocks."""
    setup_django()
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cursor.execute(
            "CREATE TABLE bench_raw_copy (first_name text, last_name text, email text, phone text, "
            "company text, job_title text, city text, notes text)"
        )
        with (
            path.open("rb") as handle,
            cursor.connection.cursor().copy("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        cursor.execute("SELECT count(*) FROM bench_raw_copy")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw_copy")
    return {"seconds": time.perf_counter() - started, "rows": rows}


def child_read_xlsx(path: Path) -> dict:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_excel(path, engine="calamine", dtype=str)
    return {"seconds": time.perf_counter() - started, "rows": len(frame)}


CHILDREN = {"import": child_import, "copy": child_copy, "read_xlsx": child_read_xlsx}


# ---- parent --------------------------------------------------------------------------------------


def measure(kind: str, path: Path, *, checkout: Path = ROOT, env: dict | None = None) -> dict:
    """One child's figures; `checkout`: the project folder whose code runs (another commit's, `--against`)."""
    process = subprocess.Popen(
        [sys.executable, str(checkout / "bench" / "import_bench.py"), "--child", kind, str(path)],
        cwd=checkout, stdout=subprocess.PIPE, env=env or os.environ,
    )  # fmt: skip
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"bench child {kind} failed with exit code {process.returncode}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


class Against:
    """`--against REF`: the same imports run by the code of another commit (a git worktree in var/bench/,
    its own database migrated by its own code, the same venv), measured right after ours: the ratio says
    whether a change slowed the bulk path, on this machine and in this run."""

    def __init__(self, ref: str):
        sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, check=True, capture_output=True, text=True)
        self.ref = sha.stdout.strip()
        self.checkout = BENCH_DIR / f"against-{self.ref}"
        if not self.checkout.exists():
            subprocess.run(["git", "worktree", "add", "--detach", str(self.checkout), self.ref], cwd=ROOT, check=True)
        from scripts.stack import recreate_database

        url = f"{os.environ['DATABASE_URL'].rstrip('/')}_against"
        recreate_database(url, fresh=True)
        self.env = {**os.environ, "DATABASE_URL": url, "LEADSY_VAR_DIR": str(self.checkout / "var" / "bench" / "run")}
        subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=self.checkout, env=self.env,
                       check=True)  # fmt: skip

    def compare(self, path: Path, ours: dict) -> None:
        theirs = measure("import", path, checkout=self.checkout, env=self.env)
        line(f"import at {self.ref}", theirs)
        ratio = ours["rows_per_s"] / theirs["rows_per_s"]
        print(f"  ratio import / import at {self.ref}: {ratio:.2f} (target ≥ 0.90) {verdict(ratio >= 0.9)}")


def lead_file(name: str, rows: int) -> Path:
    from bench.leadgen import write_lead_file

    path = BENCH_DIR / name
    if not path.exists() or not Path(f"{path}.expected.json").exists():
        print(f"generating {path.name} ({rows:,} rows)…", flush=True)
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        write_lead_file(path, rows)
    return path


def check_counts(path: Path, result: dict) -> str:
    expected = json.loads(Path(f"{path}.expected.json").read_text())
    exact = (result["rows"], result["failed"], result["imported"]) == (
        expected["rows"], expected["failed"], expected["imported"],
    )  # fmt: skip
    if result["status"] != "completed" or not exact:
        sys.exit(f"import of {path.name} is wrong: got {result}, expected {expected}")
    return f"exact ({expected['imported']:,} imported, {expected['failed']:,} failed)"


def line(label: str, result: dict) -> None:
    print(f"  {label:<34} {result['rows']:>9,} rows {result['seconds']:>8.2f} s {result['rows_per_s']:>11,.0f} rows/s "
          f"peak RSS {result['peak_rss_mb']:>7.0f} MB")  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="CSV rows (default 1,000,000).")
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="XLSX rows (default 100,000).")
    parser.add_argument("--quick", action="store_true", help="Skip the XLSX-at-the-size-limit memory run.")
    parser.add_argument("--against", metavar="REF", help="Also run the imports with the code of this commit.")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    # Stored imports of this run (and only this run: earlier ones are removed below) in a folder of their own.
    os.environ["LEADSY_VAR_DIR"] = str(RUN_DIR)
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](Path(args.child[1]))), flush=True)
        return

    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("make bench measures PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database.")
    # A fresh database and storage each run: earlier runs' millions of leads would make the figures drift.
    sys.path.insert(0, str(ROOT))
    from scripts.stack import recreate_database

    recreate_database(os.environ["DATABASE_URL"], fresh=True)
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    print(f"Database: {settings.DATABASES['default']['NAME']} on {settings.DATABASES['default']['HOST']}")
    against = Against(args.against) if args.against else None
    csv_path = lead_file(f"leads-{args.rows}.csv", args.rows)
    copy = measure("copy", csv_path)
    imported = measure("import", csv_path)
    print(f"\nCSV, {csv_path.stat().st_size / 2**20:,.0f} MiB:")
    line("raw COPY into a bare table", copy)
    line("import (worker code path)", imported)
    ratio = imported["rows_per_s"] / copy["rows_per_s"]
    print(f"  counts: {check_counts(csv_path, imported)}")
    print(f"  ratio import / COPY: {ratio:.2f} (target ≥ 0.40) {verdict(ratio >= 0.4)}")
    print(f"  peak RSS: {imported['peak_rss_mb']:.0f} MB (target ≤ 500) {verdict(imported['peak_rss_mb'] <= 500)}")
    if against:
        against.compare(csv_path, imported)

    xlsx_path = lead_file(f"leads-{args.xlsx_rows}.xlsx", args.xlsx_rows)
    read = measure("read_xlsx", xlsx_path)
    imported_xlsx = measure("import", xlsx_path)
    print(f"\nXLSX, {xlsx_path.stat().st_size / 2**20:,.1f} MiB:")
    line("pandas + calamine read only", read)
    line("import (worker code path)", imported_xlsx)
    ratio_xlsx = imported_xlsx["rows_per_s"] / read["rows_per_s"]
    print(f"  counts: {check_counts(xlsx_path, imported_xlsx)}")
    print(f"  ratio import / read: {ratio_xlsx:.2f} (target ≥ 0.50) {verdict(ratio_xlsx >= 0.5)}")
    if against:
        against.compare(xlsx_path, imported_xlsx)

    if not args.quick:
        big_rows = settings.IMPORT_MAX_ROWS
        big = lead_file(f"leads-{big_rows}.xlsx", big_rows)
        imported_big = measure("import", big)
        print(f"\nXLSX at the row limit, {big.stat().st_size / 2**20:,.1f} MiB (size limit "
              f"{settings.IMPORT_MAX_XLSX_BYTES / 2**20:,.0f} MiB):")  # fmt: skip
        line("import (worker code path)", imported_big)
        print(f"  counts: {check_counts(big, imported_big)}")
        peak = imported_big["peak_rss_mb"]
        print(f"  peak RSS: {peak:.0f} MB (target ≤ 1024) {verdict(peak <= 1024)}")


if __name__ == "__main__":
    main()
