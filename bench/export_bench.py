"""`make bench` (or `make bench BENCH_ONLY=export`): the lead export's speed and memory, against a baseline
measured in the same run.

One company with 100,000 and then 1,000,000 leads (5 stages, half of them in a campaign, two or three
`extra` keys each, one in ten with a formula-like note), filled with one `INSERT … SELECT generate_series`.
At each size:

1. `GET /api/v1/companies/{id}/leads/export?format=csv` and `…&format=xlsx` through Django's full stack
   (JWT, middleware, the streamed response consumed chunk by chunk), in a child process each;
2. the floor: `COPY (SELECT <the same columns> … ORDER BY created_at DESC, id DESC) TO STDOUT (FORMAT csv)`
   read through psycopg, in a child process;
3. a child that only starts Django, so the export's own memory is its peak minus that.

Prints rows/s, peak RSS (os.wait4 of each child), the ratio export / COPY, and whether memory stayed flat
(target: the 1M peak within 25% of the 100k one).
Uses DATABASE_URL, default postgresql://root@127.0.0.1:5432/leadsy_bench, dropped and created again.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql://root@127.0.0.1:5432/leadsy_bench"
SIZES = (100_000, 1_000_000)


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsy.settings")
    import django

    django.setup()


# ---- children: each prints one JSON line -------------------------------------------------------


def child_export(spec: str) -> dict:
    """Through the whole stack: a JWT, the middleware, the view, the streamed body read as a client does."""
    setup_django()
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    from companies.models import UserAccess

    kind, company_id = spec.split(":")
    access = UserAccess.objects.select_related("user").filter(company_id=int(company_id)).first()
    token = str(RefreshToken.for_user(access.user).access_token)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    started = time.perf_counter()
    response = client.get(f"/api/v1/companies/{company_id}/leads/export", {"format": kind})
    if response.status_code != 200:
        raise SystemExit(f"export answered {response.status_code}: {response.content[:500]!r}")
    size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    from campaigns.models import Lead

    return {"seconds": seconds, "rows": Lead.objects.filter(company_id=int(company_id)).count(), "bytes": size}


def child_copy(spec: str) -> dict:
    """The floor: the same rows and columns, in the list's order, by PostgreSQL's own CSV writer."""
    setup_django()
    from django.db import connection

    company_id = int(spec)
    sql = (
        "COPY (SELECT l.first_name, l.last_name, l.email, l.phone, l.company_name, l.job_title, l.city, l.country, "
        "l.source, l.notes, s.name, c.name, i.import_code, l.created_at, l.extra "
        "FROM campaigns_lead l LEFT JOIN campaigns_stage s ON s.id = l.stage_id "
        "LEFT JOIN campaigns_campaign c ON c.id = l.campaign_id "
        "LEFT JOIN imports_importfile i ON i.id = l.import_file_id "
        f"WHERE l.company_id = {company_id} ORDER BY l.created_at DESC, l.id DESC) TO STDOUT (FORMAT csv, HEADER)"
    )
    started = time.perf_counter()
    size = rows = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for block in copy:
            size += len(block)
            rows += bytes(block).count(b"\n")
    return {"seconds": time.perf_counter() - started, "rows": rows - 1, "bytes": size}


def child_idle(spec: str) -> dict:
    setup_django()
    from django.db import connection

    connection.ensure_connection()
    return {"seconds": 1e-9, "rows": 0, "bytes": 0}


CHILDREN = {"export": child_export, "copy": child_copy, "idle": child_idle}


# ---- parent --------------------------------------------------------------------------------------


def measure(kind: str, spec: str) -> dict:
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", kind, spec], cwd=ROOT, stdout=subprocess.PIPE, env=os.environ
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"bench child {kind} {spec} failed")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def fill(company_id: int, campaign_id: int, start: int, stop: int) -> None:
    """Leads start..stop-1 of the company, in one statement (created one second apart, newest last)."""
    from django.db import connection

    from campaigns.models import Stage

    stages = list(Stage.objects.order_by("position").values_list("pk", flat=True))[:5]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO campaigns_lead (company_id, campaign_id, stage_id, first_name, last_name, email, phone,
                company_name, job_title, city, country, source, notes, extra, created_at, updated_at)
            SELECT %s, CASE WHEN g %% 2 = 0 THEN %s END, (%s::bigint[])[1 + g %% %s],
                'Name' || g, 'Surname' || g, 'lead' || g || '@example.com', '+3460' || lpad(g::text, 7, '0'),
                'Company ' || (g %% 1000), 'Manager', 'Madrid', 'ES', 'bench',
                CASE WHEN g %% 10 = 0 THEN '=HYPERLINK("x") ' || g ELSE '' END,
                jsonb_build_object('Size', 'L', 'Segment', 'S' || (g %% 7))
                    || CASE WHEN g %% 100 = 0 THEN jsonb_build_object('Rating', g %% 5) ELSE '{}'::jsonb END,
                now() - interval '20 days' + g * interval '1 second', now()
            FROM generate_series(%s, %s) AS g
            """,
            [company_id, campaign_id, stages, len(stages), start, stop - 1],
        )
        cursor.execute("ANALYZE campaigns_lead")


def line(label: str, result: dict) -> None:
    print(f"  {label:<30} {result['rows']:>9,} rows {result['seconds']:>8.2f} s {result['rows_per_s']:>10,.0f} rows/s "
          f"{result['bytes'] / 2**20:>8.1f} MiB  peak RSS {result['peak_rss_mb']:>6.0f} MB")  # fmt: skip


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 leads only.")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](args.child[1])), flush=True)
        return
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("The export bench measures PostgreSQL COPY: set DATABASE_URL to a PostgreSQL database.")
    sys.path.insert(0, str(ROOT))
    from scripts.stack import recreate_database

    recreate_database(os.environ["DATABASE_URL"], fresh=True)
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from campaigns.models import Campaign
    from companies.models import Access, Company, UserAccess

    call_command("migrate", verbosity=0)
    print(f"Database: {settings.DATABASES['default']['NAME']} on {settings.DATABASES['default']['HOST']}")
    company = Company.objects.create(name="Export bench", country="ES")
    user = get_user_model().objects.create(email="export-bench@example.com", status="active")
    UserAccess.objects.create(user=user, company=company, access=Access.objects.get(name="owner"), primary=True)
    campaign = Campaign.objects.create(company=company, name="Bench campaign")
    idle = measure("idle", "-")
    print(f"Django alone (a child that only connects): peak RSS {idle['peak_rss_mb']:.0f} MB")

    peaks: dict[str, list[float]] = {"csv": [], "xlsx": []}
    filled = 0
    for size in SIZES[:1] if args.quick else SIZES:
        started = time.perf_counter()
        fill(company.pk, campaign.pk, filled, size)
        print(f"\n{size:,} leads (filled in {time.perf_counter() - started:.0f} s):")
        filled = size
        copy = measure("copy", str(company.pk))
        line("COPY (SELECT …) TO STDOUT", copy)
        for kind in ("csv", "xlsx"):
            result = measure("export", f"{kind}:{company.pk}")
            line(f"export {kind} (whole stack)", result)
            if result["rows"] != size:
                sys.exit(f"export {kind} counted {result['rows']} rows, expected {size}")
            peaks[kind].append(result["peak_rss_mb"])
            print(f"    ratio export {kind} / COPY: {result['rows_per_s'] / copy['rows_per_s']:.2f}")
    if len(peaks["csv"]) == 2:
        print()
        for kind, (small, large) in peaks.items():
            growth = (large - small) / small
            print(f"  {kind}: peak RSS {small:.0f} MB at 100k, {large:.0f} MB at 1M ({growth:+.0%}; target ≤ +25%) "
                  f"{verdict(growth <= 0.25)}")  # fmt: skip


if __name__ == "__main__":
    main()
