"""Prometheus metrics: request metrics (django-prometheus), the import pipeline's own, and state read at scrape time.

Web and worker are separate processes (gunicorn's workers, Celery's pool children), so two kinds of metric:

- counted where the work happens — rows imported/failed, chunk commit durations and webhook delivery
  attempts in the worker, requests in the web — through prometheus-client's multiprocess mode: each process
  writes its samples to files in `PROMETHEUS_MULTIPROC_DIR` (set in settings, before prometheus-client is
  imported) and `/metrics` adds them up. Web and worker must share that folder (one host, or a shared volume
  in docker-compose);
- read from the source of truth when Prometheus scrapes: imports by status (the database) and queue depth
  (the broker). Right after any restart, whichever process answers.

`/metrics` answers only a `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN it is 404, as if
it were not mounted.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from kombu.exceptions import ChannelError
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

IMPORT_ROWS = Counter("leadsy_import_rows", "Rows the import pipeline committed, by outcome.", ["outcome"])
CHUNK_COMMIT_SECONDS = Histogram(
    "leadsy_import_chunk_commit_seconds",
    "Time to write and commit one chunk of an import (leads, counters, checkpoint).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

WEBHOOK_DELIVERIES = Counter(
    "leadsy_webhook_deliveries",
    "Webhook delivery attempts, by outcome: succeeded, retried (failed, tried again later), failed (out of "
    "attempts or the webhook disabled), refused (the destination is not allowed; nothing was sent).",
    ["outcome"],
)


def chunk_committed(*, seconds: float, rows: int, failed: int) -> None:
    """A chunk's transaction committed (a rolled-back one is not counted: its rows are redone)."""
    CHUNK_COMMIT_SECONDS.observe(seconds)
    IMPORT_ROWS.labels(outcome="imported").inc(rows - failed)
    IMPORT_ROWS.labels(outcome="failed").inc(failed)


def webhook_delivered(*, outcome: str) -> None:
    """One webhook delivery attempt recorded (in the worker that made it)."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()


class StateCollector:
    """Imports by status and the broker's queue depth, read when Prometheus scrapes."""

    def collect(self):
        # By app label: the plumbing imports no domain app (the import-linter contract).
        ImportFile = apps.get_model("imports", "ImportFile")

        imports = GaugeMetricFamily("leadsy_imports", "Imports by status.", labels=["status"])
        counts = dict(ImportFile.objects.values_list("status").annotate(n=Count("id")).order_by())
        for status in ImportFile.Status:
            imports.add_metric([status.label], counts.get(status.value, 0))
        yield imports

        depth = _queue_depth()
        broker_up = GaugeMetricFamily("leadsy_broker_up", "1 when the broker answered this scrape.")
        broker_up.add_metric([], 0 if depth is None else 1)
        yield broker_up
        if depth is not None:
            queue = GaugeMetricFamily("leadsy_queue_depth", "Messages waiting in the task queue.", labels=["queue"])
            queue.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], depth)
            yield queue


def _queue_depth() -> int | None:
    from leadsy.celery import app

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
            channel: Any = connection.default_channel  # kombu's virtual channels all have queue_declare
            try:
                _, count, _ = channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=True)
            except ChannelError:  # never declared on this broker (Redis): no task was ever queued there
                return 0
            return count
    except Exception:  # a scrape must answer even with the broker down: broker_up says so
        return None


def metrics_view(request):
    token = settings.METRICS_TOKEN
    if not token:
        return JsonResponse({"message": "Not found."}, status=404)
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not hmac.compare_digest(supplied.strip().encode(), token.encode()):
        return JsonResponse({"message": "Authentication credentials were not provided."}, status=401)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(StateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
