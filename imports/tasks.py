"""Celery tasks: thin wrappers around the import services, called with ids."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import ImportFile
from .pipeline import _keep_partial_errors, owner_is_dead_local_process, stopped_message
from .services import import_file_process

logger = logging.getLogger("leadsy.imports")
Status = ImportFile.Status


@shared_task(acks_late=True, ignore_result=True)
def process_import(import_file_id: int) -> None:
    try:
        import_file_process(import_file_id=import_file_id)
    except Exception:
        # Already logged by the pipeline; the lease expires and the reaper queues the import again.
        logger.exception("Import %s: run aborted", import_file_id)


@shared_task(ignore_result=True)
def reap_expired_leases() -> list[int]:
    """Queue again imports whose runner stopped renewing its lease (a dead worker: with Redis the
    broker would redeliver the task only after its visibility timeout) and pending imports nobody
    picked up; fail those that keep dying. Returns the ids queued."""
    now = timezone.now()
    queued = []
    processing = ImportFile.objects.filter(status=Status.PROCESSING).only(
        "id", "lease_owner", "lease_expires_at", "attempts"
    )
    for import_file in processing:
        expired = import_file.lease_expires_at is None or import_file.lease_expires_at < now
        if not expired and not owner_is_dead_local_process(import_file.lease_owner):
            continue
        if import_file.attempts >= settings.IMPORT_MAX_ATTEMPTS:
            stopped = ImportFile.objects.filter(
                pk=import_file.pk, status=Status.PROCESSING, lease_owner=import_file.lease_owner
            ).update(
                status=Status.FAILED,
                error_message=stopped_message(import_file.attempts),
                finished_at=now,
                lease_owner="",
                lease_expires_at=None,
            )
            if stopped:
                logger.warning("Import %s failed: stopped making progress", import_file.pk)
                _keep_partial_errors(import_file)  # the error file of the chunks it committed
            continue
        process_import.delay(import_file.pk)
        queued.append(import_file.pk)
    stale = now - timedelta(seconds=settings.IMPORT_PENDING_REQUEUE_SECONDS)
    pending = ImportFile.objects.filter(status=Status.PENDING, created_at__lt=stale).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale)
    )
    for import_file_id in pending.values_list("id", flat=True):
        ImportFile.objects.filter(pk=import_file_id).update(heartbeat_at=now)  # once per period, not every tick
        process_import.delay(import_file_id)
        queued.append(import_file_id)
    if queued:
        logger.info("Re-queued imports %s", queued)
    return queued
