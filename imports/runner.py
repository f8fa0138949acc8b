"""The lease: which runner may work on an import now, and what happens to imports whose runner died.

Only the runner that holds the lease (`lease_owner`, until `lease_expires_at`) may commit a chunk:
every chunk transaction ends with `guarded_update` (an UPDATE guarded by `lease_owner = me`), so a
runner that lost its lease (paused, partitioned, its task delivered twice, or the import cancelled)
has its chunk rolled back instead of written twice. Each run that takes the lease counts one attempt;
an import that used up IMPORT_MAX_ATTEMPTS fails (`_give_up`) instead of being retried for ever.
`reap` finds imports whose runner stopped renewing its lease and pending imports nobody picked up.
"""

import logging
import os
import socket
import uuid
from datetime import timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import ImportFile
from .pipeline.report import keep_partial_errors

logger = logging.getLogger("leadsy.imports")

Status = ImportFile.Status


class LeaseLost(Exception):
    """Another runner holds the import now (or it was cancelled): stop without committing."""


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_dead_local_process(owner: str) -> bool:
    """True when the lease holder was a process on this host that no longer runs (a SIGKILLed worker):
    its lease can be taken at once instead of waiting for it to expire."""
    try:
        host, raw_pid, _ = owner.rsplit(":", 2)
        pid = int(raw_pid)
    except ValueError:
        return False
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def stopped_message(attempts: int) -> str:
    return f"The import stopped making progress after {attempts} attempts."


def _give_up(runnable, *, import_file_id: int, attempts: int, now) -> bool:
    """Fail an import whose runs kept dying, if it has used up its attempts (the one place that
    counts them). Returns whether the import is out of attempts (failed now or by someone else)."""
    if attempts < settings.IMPORT_MAX_ATTEMPTS:
        return False
    stopped = runnable.filter(attempts=attempts).update(
        status=Status.FAILED,
        error_message=stopped_message(attempts),
        finished_at=now,
        lease_owner="",
        lease_expires_at=None,
    )
    if stopped:
        logger.warning("Import %s failed: its runs kept dying (%s attempts)", import_file_id, attempts)
        announce_finished(import_file_id)
        keep_partial_errors(ImportFile.objects.get(pk=import_file_id))  # the chunks it committed
    return True


def acquire_lease(import_file_id: int) -> str | None:
    """Take the import's lease with one conditional UPDATE; None when another live runner holds it,
    or when the import has used up its attempts (it is then marked failed)."""
    now = timezone.now()
    owner = new_owner()
    free = Q(lease_owner="") | Q(lease_expires_at__lt=now)
    row = ImportFile.objects.filter(pk=import_file_id).values_list("lease_owner", "attempts").first()
    if row is None:
        return None
    current, attempts = row
    if current and owner_is_dead_local_process(current):
        free |= Q(lease_owner=current)
    runnable = ImportFile.objects.filter(pk=import_file_id, status__in=[Status.PENDING, Status.PROCESSING]).filter(free)
    # Every earlier run died before finishing (e.g. its child was killed out of memory) and the
    # broker redelivers the task each time: without this, such a file would be retried forever.
    if _give_up(runnable, import_file_id=import_file_id, attempts=attempts, now=now):
        return None
    taken = runnable.update(
        lease_owner=owner,
        lease_expires_at=now + lease_duration(),
        heartbeat_at=now,
        status=Status.PROCESSING,
        started_at=Coalesce(F("started_at"), Value(now, output_field=models.DateTimeField())),
        attempts=F("attempts") + 1,
    )
    return owner if taken else None


def guarded_update(import_file_id: int, owner: str, **fields) -> bool:
    """Update the import only while this runner still holds its lease (and it is still processing)."""
    now = timezone.now()
    fields.setdefault("heartbeat_at", now)
    fields.setdefault("lease_expires_at", now + lease_duration())
    return bool(
        ImportFile.objects.filter(pk=import_file_id, lease_owner=owner, status=Status.PROCESSING).update(**fields)
    )


def finish(import_file_id: int, owner: str, **fields) -> bool:
    """The last guarded update of a run: the lease is given back (and a completed or failed import announced)."""
    finished = guarded_update(
        import_file_id, owner, finished_at=timezone.now(), lease_owner="", lease_expires_at=None, **fields
    )
    if finished and fields.get("status") in (Status.COMPLETED, Status.FAILED):
        announce_finished(import_file_id)
    return finished


def announce_finished(import_file_id: int) -> None:
    """Queue the import's webhooks and email once its final state is committed. By the task's name (the
    tasks module is above this one); robust: a broker outage must not undo or fail a finished import."""
    transaction.on_commit(lambda: current_app.send_task("imports.import_finished", args=[import_file_id]), robust=True)


def fail(import_file: ImportFile, owner: str, message: str) -> None:
    if not finish(import_file.pk, owner, status=Status.FAILED, error_message=message):
        logger.info("Import %s: not marked failed, the lease was lost", import_file.import_code)
        return
    keep_partial_errors(import_file)


def reap() -> list[int]:
    """The imports to queue again: those whose runner stopped renewing its lease (a dead worker: with
    Redis the broker would redeliver the task only after its visibility timeout) and pending ones
    nobody picked up. Those that keep dying fail here instead."""
    now = timezone.now()
    queued = []
    processing = ImportFile.objects.filter(status=Status.PROCESSING).only(
        "id", "lease_owner", "lease_expires_at", "attempts"
    )
    for import_file in processing:
        expired = import_file.lease_expires_at is None or import_file.lease_expires_at < now
        if not expired and not owner_is_dead_local_process(import_file.lease_owner):
            continue
        runnable = ImportFile.objects.filter(
            pk=import_file.pk, status=Status.PROCESSING, lease_owner=import_file.lease_owner
        )
        if _give_up(runnable, import_file_id=import_file.pk, attempts=import_file.attempts, now=now):
            continue
        queued.append(import_file.pk)
    stale = now - timedelta(seconds=settings.IMPORT_PENDING_REQUEUE_SECONDS)
    pending = ImportFile.objects.filter(status=Status.PENDING, created_at__lt=stale).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale)
    )
    for import_file_id in pending.values_list("id", flat=True):
        ImportFile.objects.filter(pk=import_file_id).update(heartbeat_at=now)  # once per period, not every tick
        queued.append(import_file_id)
    return queued
