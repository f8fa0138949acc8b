"""`make bench BENCH_ONLY=list`: the lead list at 100k and 1M leads of one company, on PostgreSQL.

p50 of one page (25 leads: query, count and serialization, as the view does it) with and without `q`, the
old way (a per-word `icontains` over five columns and an exact COUNT(*)), measured in the same run as the
baseline, against the new one (the folded-text table with its trigram index, and the count capped at
LEAD_LIST_COUNT_CAP). Also the worker time to index the leads (`lead_search_index_pending`).
Leads are generated in SQL (names with accents), plus 10% as many of another company. Uses DATABASE_URL,
default postgresql://root@127.0.0.1:5432/leadsy_bench, dropped and created again each run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql://root@127.0.0.1:5432/leadsy_bench"
# "mu" and "qx": words too short for a trigram, the second matching nothing.
QUERIES = ["", "garcia", "ana munoz", "lead4321@", "nobodyhere", "mu", "qx"]

GENERATE = """
INSERT INTO campaigns_lead (company_id, first_name, last_name, email, phone, company_name, job_title, city,
                            country, source, notes, extra, created_at, updated_at)
SELECT %s,
       (ARRAY['Ana','José','María','Jürgen','Zoë','Bob','Chloé','Iñaki'])[1 + i %% 8],
       (ARRAY['García','Muñoz','Pérez','Smith','Müller','Núñez','Johnson','Brown','Díaz','Lee'])[1 + (i / 8) %% 10],
       'lead' || i || '@example' || (i %% 100) || '.com', '+346' || lpad(i::text, 8, '0'),
       (ARRAY['Acme','Initech','Café Olé','Señor Frío'])[1 + i %% 4], '', '', 'ES', 'bench', '', '{}',
       now() - make_interval(secs => i), now()
FROM generate_series(%s, %s) AS i
"""


def old_filter(leads, q):
    """The lead list's `q` before the search table: icontains per word, a scan of the company's leads."""
    from django.db.models import Q

    for word in q.split():
        leads = leads.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
            | Q(phone__icontains=word) | Q(company_name__icontains=word)
        )  # fmt: skip
    return leads


def page_ms(request, leads, *, cap):
    from campaigns.serializers import LeadSerializer
    from leadsy.api.pagination import paginate

    started = time.perf_counter()
    items, meta = paginate(request, leads, count_cap=cap)
    LeadSerializer(items, many=True).data  # noqa: B018 - the serialization is part of a page
    return (time.perf_counter() - started) * 1000, meta


def p50(run, repeats):
    run()  # warm the cache
    times = [run()[0] for _ in range(repeats)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="Leads of the company, comma-separated, rising.")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("the list bench measures PostgreSQL: set DATABASE_URL to a PostgreSQL database.")
    sys.path.insert(0, str(ROOT))
    from scripts.stack import recreate_database

    recreate_database(os.environ["DATABASE_URL"], fresh=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadsy.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from campaigns.models import Lead
    from campaigns.search import lead_search_filter, lead_search_index_pending, lead_search_pending_add
    from campaigns.selectors import _leads
    from companies.models import Company

    call_command("migrate", verbosity=0)
    company = Company.objects.create(name="Bench list", country="ES")
    other = Company.objects.create(name="Bench other", country="ES")
    request = Request(APIRequestFactory().get("/?page=1&per_page=25"))
    done = 0
    print(f"Database: {settings.DATABASES['default']['NAME']}; count cap {settings.LEAD_LIST_COUNT_CAP:,}")
    for size in [int(size) for size in args.sizes.split(",")]:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM campaigns_lead")
            first = cursor.fetchone()[0] + 1
            cursor.execute(GENERATE, [company.pk, done + 1, size])
            cursor.execute(GENERATE, [other.pk, 10_000_000 + done // 10, 10_000_000 + size // 10 - 1])
            cursor.execute("SELECT max(id) FROM campaigns_lead")
            last = cursor.fetchone()[0]
            cursor.execute("ANALYZE campaigns_lead")
        print(
            f"\n{size:,} leads (+{size // 10:,} of another company), generated in {time.perf_counter() - started:.1f} s"
        )
        lead_search_pending_add(company_id=company.pk, lead_ids=[first, last])
        lead_search_pending_add(company_id=other.pk, lead_ids=[first, last])
        started = time.perf_counter()
        indexed = lead_search_index_pending()
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE campaigns_leadsearch")
        print(f"  index task: {indexed:,} leads in {seconds:.1f} s ({indexed / seconds:,.0f} leads/s of worker time)")
        done = size
        base = _leads().filter(company=company).order_by("-created_at", "-id")
        print(f"  {'q':<14} {'before p50':>11} {'after p50':>10} {'ratio':>6}   matches before / after")
        for q in QUERIES:
            before_qs = old_filter(base, q)
            after_qs = lead_search_filter(base, company_id=company.pk, q=q) if q else base
            before = p50(lambda qs=before_qs: page_ms(request, qs, cap=None), args.repeats)
            after = p50(lambda qs=after_qs: page_ms(request, qs, cap=settings.LEAD_LIST_COUNT_CAP), args.repeats)
            count_before = page_ms(request, before_qs, cap=None)[1]["total_count"]
            meta = page_ms(request, after_qs, cap=settings.LEAD_LIST_COUNT_CAP)[1]
            count_after = f"{meta['total_count']:,}{'+' if meta['total_count_capped'] else ''}"
            print(f"  {q or '(none)':<14} {before:>9.1f}ms {after:>8.1f}ms {before / after:>6.1f}   "
                  f"{count_before:,} / {count_after}")  # fmt: skip
    assert Lead.objects.filter(company=company).count() == done


if __name__ == "__main__":
    main()
