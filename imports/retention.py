"""How long an import's files live: removed from storage with their import, or after the retention period.

Storage is not transactional, so files go only once the database change is committed: a rolled-back delete
keeps its files, and a row never points at a file already removed. A failed storage call leaves an orphan
object (logged), never a broken import.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import ImportFile
from .pipeline.report import delete_error_parts

logger = logging.getLogger("leadsy.imports")

Status = ImportFile.Status
FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)


def _delete_stored_files(import_file: ImportFile, names: list[str]) -> None:
    storage = import_file.original_file.storage
    try:
        for name in names:
            storage.delete(name)
        delete_error_parts(import_file)  # chunks of an error file not assembled yet (an interrupted run)
    except Exception:
        # After the commit nothing can be undone: an orphan file is the cost, the caller's delete stands.
        logger.exception("Import %s: could not delete its stored files %s", import_file.import_code, names)


def import_file_files_delete_on_commit(import_file: ImportFile) -> None:
    """Once the current transaction commits, remove the import's original file, error file and error parts."""
    names = [field.name for field in (import_file.original_file, import_file.error_file) if field and field.name]
    transaction.on_commit(lambda: _delete_stored_files(import_file, names))


def import_file_deleted(sender, instance: ImportFile, **kwargs) -> None:
    """post_delete receiver: an import deleted (admin, shell, cascade from its company) takes its files along.
    Django's collector sends it per ImportFile row, also for a cascade."""
    import_file_files_delete_on_commit(instance)


def import_files_expire(*, now=None) -> list[str]:
    """Delete the files of the finished imports older than IMPORT_FILE_RETENTION_DAYS (0: keep them for ever);
    the rows stay with their counters and `files_expired_at`. Pending and running imports are never touched.
    Returns the codes of the imports whose files expired."""
    days = settings.IMPORT_FILE_RETENTION_DAYS
    if days <= 0:
        return []
    now = now or timezone.now()
    due = ImportFile.objects.filter(status__in=FINISHED, files_expired_at=None, finished_at__lt=now - timedelta(days))
    expired = []
    for import_file in due.only("pk", "import_code", "original_file", "error_file").iterator():
        with transaction.atomic():
            # Conditional: an import retried meanwhile (pending again, reading its original) keeps its files.
            taken = ImportFile.objects.filter(pk=import_file.pk, status__in=FINISHED, files_expired_at=None).update(
                files_expired_at=now, original_file="", error_file="", updated_at=now
            )
            if taken:
                import_file_files_delete_on_commit(import_file)
                expired.append(import_file.import_code)
    if expired:
        logger.info("Import files expired after %s days: %s imports", days, len(expired))
    return expired
