"""Celery tasks: an id in, a service called. Named explicitly, so beat and the broker never depend on
module paths (the beat schedule in settings names "imports.reap_expired_leases")."""

import logging

from celery import shared_task
from django.db import DatabaseError

from .retention import import_files_expire
from .services import import_file_process, import_file_reap
from .webhooks import services as webhooks

logger = logging.getLogger("leadsy.imports")


@shared_task(name="imports.process", acks_late=True, ignore_result=True)
def process_import(import_file_id: int) -> None:
    try:
        import_file_process(import_file_id=import_file_id)
    except DatabaseError:
        pass  # logged by the run; the lease expires and the reaper queues the import again
    except Exception:
        logger.exception("Import %s: run aborted", import_file_id)


@shared_task(name="imports.reap_expired_leases", ignore_result=True)
def reap_expired_leases() -> list[int]:
    """Queue again the imports whose runner died or that nobody picked up; returns their ids."""
    return import_file_reap()


@shared_task(name="imports.expire_files", ignore_result=True)
def expire_files() -> list[str]:
    """Daily: delete the files of imports older than IMPORT_FILE_RETENTION_DAYS; returns their codes."""
    return import_files_expire()


@shared_task(name="imports.import_finished", acks_late=True, ignore_result=True)
def import_finished(import_file_id: int) -> None:
    """Queued by the runner once an import's final commit is in: its webhook deliveries and email."""
    webhooks.import_finished(import_file_id=import_file_id)


@shared_task(name="imports.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt of a delivery (skipped when it is not due or another worker has it)."""
    webhooks.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="imports.webhook_retry_due", ignore_result=True)
def webhook_retry_due() -> list[int]:
    """Beat: queue the deliveries whose next attempt is due; returns their ids."""
    due = webhooks.deliveries_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return due
