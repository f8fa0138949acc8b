"""Import state changes: create (the upload check), process, cancel, retry, reap.

The API, the admin, the `import_leads` command and the Celery tasks all come through here. Refusals
are `leadsy.errors` domain errors (an `UploadRejected` is an `InvalidFields`).
"""

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from celery import current_app
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign, Lead, Stage
from leadsy.errors import Conflict, InvalidFields

from . import process, runner
from .models import ImportFile
from .pipeline.inspect import inspect_file
from .pipeline.limits import check_row_limits
from .pipeline.read import count_rows, estimate_rows
from .pipeline.report import delete_error_parts

logger = logging.getLogger("leadsy.imports")

Status = ImportFile.Status
ON_DUPLICATE_CHOICES = ("skip", "update")


def _local_path(file, folder: str) -> str:
    """A path on disk for the upload: Django's spooled temp file when there is one, else a copy."""
    if isinstance(file, str | os.PathLike):
        return os.fspath(file)
    if hasattr(file, "temporary_file_path"):
        return file.temporary_file_path()
    path = os.path.join(folder, "upload")
    file.seek(0)
    with open(path, "wb") as target:
        for chunk in file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1024 * 1024), b""):
            target.write(chunk)
    return path


def _clean_options(*, company, options: dict) -> tuple[dict, Campaign | None, Stage | None]:
    options = dict(options or {})
    campaign = stage = None
    campaign_id = options.pop("campaign_id", None)
    stage_id = options.pop("stage_id", None)
    if campaign_id is not None:
        campaign = Campaign.objects.filter(pk=campaign_id, company=company).first()
        if campaign is None:
            raise InvalidFields({"campaign_id": ["No such campaign in this company."]})
    if stage_id is not None:
        stage = Stage.objects.filter(pk=stage_id).first()
        if stage is None:
            raise InvalidFields({"stage_id": ["No such stage."]})
    on_duplicate = options.get("on_duplicate") or "skip"
    if on_duplicate not in ON_DUPLICATE_CHOICES:
        raise InvalidFields({"on_duplicate": ["Must be skip or update."]})
    options["on_duplicate"] = on_duplicate
    if options.get("default_country"):
        options["default_country"] = str(options["default_country"]).upper()
    return options, campaign, stage


MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_HEADER = "Idempotency-Key"


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def import_file_create_once(
    *, user, company, file, name: str, options: dict, idempotency_key: str
) -> tuple[ImportFile, bool]:
    """`import_file_create` for a client that may retry: the same key from the same user answers the
    import it created first (created=False); the key reused for another file is refused."""
    key = idempotency_key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidFields({IDEMPOTENCY_HEADER: [f"Must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters."]})
    with tempfile.TemporaryDirectory(prefix="leadsy-upload-") as folder:
        path = _local_path(file, folder)
        digest = _sha256(path)
        for _ in range(2):
            first = ImportFile.objects.filter(imported_by=user, idempotency_key=key).first()
            if first is not None:
                if first.content_sha256 != digest:
                    raise InvalidFields({IDEMPOTENCY_HEADER: ["This key was already used for another file."]})
                return first, False
            try:
                created = import_file_create(
                    user=user, company=company, file=path, name=name, options=options,
                    idempotency=(key, digest),
                )  # fmt: skip
            except IntegrityError:  # the same key at the same moment: the other request won, answer its import
                continue
            return created, True
    raise Conflict("A request with this Idempotency-Key is still being processed.")


def import_file_create(
    *, user, company, file, name: str, options: dict, enqueue: bool = True, idempotency: tuple[str, str] | None = None
) -> ImportFile:
    """Check the file synchronously (type, size, encoding, header, row limits), store it privately and
    create the `pending` import; queue processing once the transaction commits.

    `file`: an uploaded/Django File or a local path. `options`: on_duplicate, mapping, default_country,
    and optionally campaign_id / stage_id (validated here). Raises UploadRejected (413/422) or
    InvalidFields; nothing is stored then.
    """
    options, campaign, stage = _clean_options(company=company, options=options)
    name = Path(str(name or getattr(file, "name", "") or "leads").replace("\x00", "")).name[:255] or "leads"
    with tempfile.TemporaryDirectory(prefix="leadsy-upload-") as folder:
        path = _local_path(file, folder)
        fmt = inspect_file(path, name=name)
        process.plan_for_file(path, fmt, mapping=options.get("mapping") or None)
        rows = count_rows(path, fmt)
        check_row_limits(company=company, rows=rows)
        import_file = ImportFile(
            company=company,
            imported_by=user,
            campaign=campaign,
            stage=stage,
            original_name=name,
            options=options,
            # The row count, so the worker need not read the whole file once more before its first chunk.
            file_format={**fmt.to_dict(), "data_rows": rows},
        )
        if idempotency is not None:
            import_file.idempotency_key, import_file.content_sha256 = idempotency
        extension = "xlsx" if fmt.kind == "xlsx" else "csv"
        with open(path, "rb") as handle:
            # A generated key: the user's file name never becomes a storage path.
            import_file.original_file.save(f"{import_file.import_code}.{extension}", File(handle), save=False)
    try:
        with transaction.atomic():
            import_file.save()
            if enqueue:
                _enqueue_on_commit(import_file.pk)
    except BaseException:
        import_file.original_file.delete(save=False)
        raise
    return import_file


PREVIEW_EXACT_BYTES = 8 * 1024 * 1024
PREVIEW_EXACT_XLSX_BYTES = 512 * 1024


def _is_zip(path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"PK"


def import_file_preview(*, company, file, name: str, options: dict) -> dict:
    """Endpoint 58: the upload's checks (same refusals as `import_file_create`), then what the import
    would do with the file's first rows. Nothing is stored. Reads the header and the first rows; a CSV
    over PREVIEW_EXACT_BYTES is decoded as far as its sample and its rows are estimated from its first
    bytes (the upload then checks and counts the whole file)."""
    options, _, _ = _clean_options(company=company, options=options)
    name = Path(str(name or getattr(file, "name", "") or "leads").replace("\x00", "")).name[:255] or "leads"
    with tempfile.TemporaryDirectory(prefix="leadsy-preview-") as folder:
        path = _local_path(file, folder)
        # A workbook's size says less of its work (a zip inflates ten times and more), and counting its
        # rows costs more: its exact threshold is lower.
        exact = PREVIEW_EXACT_XLSX_BYTES if _is_zip(path) else PREVIEW_EXACT_BYTES
        whole = os.path.getsize(path) <= exact
        fmt = inspect_file(path, name=name, whole=whole)
        plan = process.plan_for_file(path, fmt, mapping=options.get("mapping") or None)
        rows = estimate_rows(path, fmt, exact_below=exact)
        check_row_limits(company=company, rows=rows, estimated=not whole)
        if whole:  # blank rows and a report's footer are no records (as the import will count them)
            rows = process.count_records(path, fmt)

        def existing(emails: list[str], phones: list[str]) -> set[str | None]:
            leads = Lead.objects.filter(company=company)
            found = set(leads.filter(email__in=emails).values_list("email", flat=True)) if emails else set()
            if phones:
                found |= set(leads.filter(phone__in=phones).values_list("phone", flat=True))
            return found

        region = company.country or options.get("default_country") or None
        return process.preview(path=path, fmt=fmt, plan=plan, region=region, total=rows, existing=existing)


def _enqueue_on_commit(import_file_id: int) -> None:
    # By the task's name: the tasks module calls these services, so it is not imported here.
    # robust: a broker outage must not turn a stored upload into a 500; the reaper re-queues it later.
    transaction.on_commit(lambda: _enqueue(import_file_id), robust=True)


def _enqueue(import_file_id: int) -> None:
    current_app.send_task("imports.process", args=[import_file_id])


def import_file_process(*, import_file_id: int, progress: Callable[[ImportFile], None] | None = None) -> ImportFile:
    """Run the whole pipeline in this process (the Celery task and the command line both call this)."""
    return process.run(import_file_id=import_file_id, progress=progress)


def import_file_reap() -> list[int]:
    """Queue again the imports whose runner died and the pending ones nobody picked up (the periodic
    reaper task); those that keep dying fail instead. Returns the ids queued."""
    queued = runner.reap()
    for import_file_id in queued:
        _enqueue(import_file_id)
    if queued:
        logger.info("Re-queued imports %s", queued)
    return queued


@transaction.atomic
def import_file_cancel(*, import_file: ImportFile) -> ImportFile:
    """Stop an import: the runner sees it before its next chunk commit. 409 once it has finished."""
    locked = ImportFile.objects.select_for_update().get(pk=import_file.pk)
    if locked.is_finished:
        raise Conflict("This import has already finished.")
    locked.status = Status.CANCELLED
    locked.finished_at = timezone.now()
    locked.lease_owner = ""
    locked.lease_expires_at = None
    locked.save(update_fields=["status", "finished_at", "lease_owner", "lease_expires_at", "updated_at"])
    return locked


@transaction.atomic
def import_file_retry(*, import_file: ImportFile) -> ImportFile:
    """Start a failed or cancelled import again from its first row (rows it already imported now
    count as duplicates). 409 for any other status."""
    locked = ImportFile.objects.select_for_update().get(pk=import_file.pk)
    if locked.status not in (Status.FAILED, Status.CANCELLED):
        raise Conflict("Only a failed or cancelled import can be retried.")
    if locked.files_expired_at:
        raise Conflict("This import's files have expired: upload the file again.")
    if locked.error_file:
        locked.error_file.delete(save=False)
    delete_error_parts(locked)
    locked.status = Status.PENDING
    locked.total_records = locked.processed_records = locked.failed_records = locked.checkpoint_rows = 0
    locked.duplicate_records = locked.warning_records = 0
    locked.warning_counts = {}
    locked.error_message = None
    locked.error_file = ""
    locked.started_at = locked.finished_at = None
    locked.lease_owner = ""
    locked.lease_expires_at = locked.heartbeat_at = None
    locked.attempts = 0
    locked.save()
    _enqueue_on_commit(locked.pk)
    return locked
