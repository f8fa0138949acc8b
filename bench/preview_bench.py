"""How long the preview (endpoint 58) takes for big files: the target is under a second at the size limits.

    DATABASE_URL=postgresql://… .venv/bin/python bench/preview_bench.py [--xlsx-rows N] [--csv-rows N]

Files are the bench's seeded lead files, cached in var/bench/ (an XLSX at the row limit by default, the
bench's 1,000,000-row CSV). The database (default leadsy_bench) is dropped and created again, as by
`make bench`. Each preview runs three times; the best and the worst are printed.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_bench import DEFAULT_DATABASE_URL, _lift_plan_limit, lead_file, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xlsx-rows", type=int, default=1_048_576)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    from scripts.stack import recreate_database

    recreate_database(os.environ["DATABASE_URL"], fresh=True)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from companies.models import Company
    from imports.services import import_file_preview

    company = Company.objects.create(name="Preview bench", country="ES")
    _lift_plan_limit(company)  # the bench measures the preview, not the plan's row limit
    xlsx = lead_file(f"leads-{args.xlsx_rows}.xlsx", args.xlsx_rows)
    for path in (xlsx, lead_file(f"leads-{args.csv_rows}.csv", args.csv_rows)):
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            shown = import_file_preview(company=company, file=str(path), name=path.name, options={})
            timings.append(time.perf_counter() - started)
        size = path.stat().st_size / 2**20
        print(f"{path.name} ({size:,.1f} MiB): preview {min(timings):.2f}-{max(timings):.2f} s, "
              f"total_records {shown['total_records']:,}, {shown['summary']['sampled']} rows shown")  # fmt: skip


if __name__ == "__main__":
    main()
