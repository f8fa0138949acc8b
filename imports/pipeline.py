"""Processing one import, chunk by chunk, under a database lease.

Only the runner that holds the lease (`lease_owner`, until `lease_expires_at`) may commit a chunk:
every chunk transaction ends with an UPDATE of the counters guarded by `lease_owner = me`, so a runner
that lost its lease (paused, partitioned, its task delivered twice, or the import cancelled) has its
chunk rolled back instead of written twice. Being last, that UPDATE holds the import row's lock only
for the error part and the commit: a cancel never waits for a runner stalled mid-chunk. Leads,
counters and the checkpoint are committed together, so a run that dies resumes exactly after the last
committed chunk.
"""

import csv
import io
import logging
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pandas as pd
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.selectors import max_leads_per_import
from campaigns.bulk import lead_bulk_write
from campaigns.models import Lead
from leadsy import logs, metrics

from .errorfile import ErrorFileWriter, neutralize
from .headers import ERROR_FILE_COLUMNS, is_error_file, normalize, plan_columns
from .inspection import FileFormat, UploadRejected
from .models import ImportFile
from .normalize import DUPLICATE, NormalizedChunk, normalize_chunk, split_in_chunk_duplicates
from .reader import ROW_ERROR, count_rows, iter_chunks

logger = logging.getLogger("leadsy.imports")

Status = ImportFile.Status
INTERNAL_ERROR = "The import stopped because of an internal error. Retry it, or contact support if it happens again."


class LeaseLost(Exception):
    """Another runner holds the import now (or it was cancelled): stop without committing."""


class ImportUnreadable(Exception):
    """The file cannot be processed: the import ends `failed` with this message."""


def chunk_size() -> int:
    return getattr(settings, "IMPORT_CHUNK_SIZE", 50_000)


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.IMPORT_LEASE_SECONDS)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_is_dead_local_process(owner: str) -> bool:
    """True when the lease holder was a process on this host that no longer runs (a SIGKILLed worker):
    its lease can be taken at once instead of waiting for it to expire."""
    try:
        host, pid, _ = owner.rsplit(":", 2)
        pid = int(pid)
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
    if attempts >= settings.IMPORT_MAX_ATTEMPTS:
        # Every earlier run died before finishing (e.g. its child was killed out of memory) and the
        # broker redelivers the task each time: without this, such a file would be retried forever.
        if runnable.filter(attempts=attempts).update(
            status=Status.FAILED,
            error_message=stopped_message(attempts),
            finished_at=now,
            lease_owner="",
            lease_expires_at=None,
        ):
            logger.warning("Import %s failed: its runs kept dying (%s attempts)", import_file_id, attempts)
            _keep_partial_errors(ImportFile.objects.get(pk=import_file_id))
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


def _guarded_update(import_file_id: int, owner: str, **fields) -> bool:
    """Update the import only while this runner still holds its lease (and it is still processing)."""
    now = timezone.now()
    fields.setdefault("heartbeat_at", now)
    fields.setdefault("lease_expires_at", now + lease_duration())
    return bool(
        ImportFile.objects.filter(pk=import_file_id, lease_owner=owner, status=Status.PROCESSING).update(**fields)
    )


def _part_folder(import_file: ImportFile) -> str:
    return f"imports/errors/parts/{import_file.import_code}"


def run(*, import_file_id: int, progress: Callable[[ImportFile], None] | None = None) -> ImportFile:
    owner = acquire_lease(import_file_id)
    if owner is None:
        logger.info("Import %s: lease held by another runner (or not runnable), skipped", import_file_id)
        return ImportFile.objects.get(pk=import_file_id)
    import_file = ImportFile.objects.select_related("company").get(pk=import_file_id)
    logs.bind(
        import_code=import_file.import_code, company_id=import_file.company_id, user_id=import_file.imported_by_id
    )
    try:
        with tempfile.TemporaryDirectory(prefix="leadsy-import-") as folder:
            path = _download(import_file, folder)
            _process(import_file, owner=owner, path=path, progress=progress)
    except LeaseLost:
        logger.info("Import %s: lease lost or import cancelled, stopping", import_file.import_code)
        _keep_partial_errors(import_file)
    except ImportUnreadable as error:
        _fail(import_file, owner, str(error))
    except UploadRejected as error:
        _fail(import_file, owner, error.message)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        _fail(import_file, owner, f"The file could not be read: {error}")
    except DatabaseError:
        # The database went away mid-chunk: nothing of that chunk was committed. The lease expires
        # and the reaper queues the import again, which resumes at the checkpoint.
        logger.exception("Import %s: database error, left for the reaper", import_file.import_code)
        raise
    except Exception:
        logger.exception("Import %s failed", import_file.import_code)
        _fail(import_file, owner, INTERNAL_ERROR)
    import_file.refresh_from_db()
    return import_file


def _download(import_file: ImportFile, folder: str) -> str:
    """A local copy of the original: readers need a path, and the storage may be S3."""
    suffix = Path(import_file.original_file.name).suffix
    path = os.path.join(folder, f"original{suffix}")
    with (
        import_file.original_file.storage.open(import_file.original_file.name, "rb") as source,
        open(path, "wb") as target,
    ):
        shutil.copyfileobj(source, target, 1024 * 1024)
    return path


def _process(import_file: ImportFile, *, owner: str, path: str, progress) -> None:
    fmt = FileFormat.from_dict(import_file.file_format)
    options = import_file.options or {}
    plan = plan_columns(fmt.header, mapping=options.get("mapping") or None)
    region = import_file.company.country or options.get("default_country") or None
    on_duplicate = options.get("on_duplicate") or "skip"

    if not import_file.total_records:
        total = import_file.file_format.get("data_rows") or count_rows(path, fmt)
        _check_limits(import_file, total)
        if not _guarded_update(import_file.pk, owner, total_records=total):
            raise LeaseLost()
        import_file.total_records = total

    update = on_duplicate == "update"
    chunks = iter_chunks(path, fmt, chunk_size=chunk_size(), skip_rows=import_file.checkpoint_rows)
    prepared = (_prepare(chunk, plan=plan, region=region, update=update) for chunk in chunks if not chunk.empty)
    for chunk, normalized in read_ahead(prepared):
        _commit_chunk(import_file, owner=owner, chunk=chunk, normalized=normalized, on_duplicate=on_duplicate)
        if progress is not None:
            import_file.refresh_from_db()
            progress(import_file)

    error_name = _assemble_error_file(import_file, header=_error_header(fmt))
    done = _guarded_update(
        import_file.pk,
        owner,
        status=Status.COMPLETED,
        finished_at=timezone.now(),
        error_file=error_name or "",
        lease_owner="",
        lease_expires_at=None,
    )
    if not done:
        raise LeaseLost()
    _refresh_lead_statistics(rows=import_file.checkpoint_rows)


def _refresh_lead_statistics(*, rows: int) -> None:
    """ANALYZE the lead table after a big import, as PostgreSQL advises after a bulk load: until
    autovacuum gets to it, the planner's picture of who owns the leads lags behind, and a company that
    held most of the table before the import still looks as if it did (its lead list then counts with a
    scan of the whole table). It samples a fixed number of rows, so it costs the same on any table size."""
    if connection.vendor != "postgresql" or rows < settings.IMPORT_ANALYZE_MIN_ROWS:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Lead._meta.db_table}")
    except DatabaseError:  # statistics are an optimisation: the import itself is done
        logger.warning("ANALYZE of the lead table after an import failed", exc_info=True)


def _check_limits(import_file: ImportFile, total: int) -> None:
    max_rows = getattr(settings, "IMPORT_MAX_ROWS", 1_048_576)
    if total > max_rows:
        raise ImportUnreadable(f"The file has {total:,} data rows; at most {max_rows:,} are accepted.")
    plan_limit = max_leads_per_import(company=import_file.company)
    if plan_limit is not None and total > plan_limit:
        raise ImportUnreadable(
            f"The file has {total:,} data rows; the company's plan allows {plan_limit:,} leads per import."
        )


def _dropped_columns(fmt: FileFormat) -> set[str]:
    """The row_number/error columns of a re-uploaded error file: the reader drops them."""
    if not is_error_file(fmt.header):
        return set()
    reserved = {normalize(column) for column in ERROR_FILE_COLUMNS}
    return {name for name in fmt.columns if normalize(name) in reserved}


def _error_header(fmt: FileFormat) -> list[str]:
    """The file's own header cells (as typed, not de-duplicated) of the columns each chunk carries."""
    dropped = _dropped_columns(fmt)
    return [original for name, original in zip(fmt.columns, fmt.header, strict=True) if name not in dropped]


T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, with the next one computed in a thread while the caller works on the current one:
    reading and normalizing chunk N+1 (pandas and Arrow, mostly outside the GIL) overlaps with writing
    chunk N (mostly waiting on PostgreSQL). The thread never touches the database."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead") as executor:
        upcoming = executor.submit(next, items, _END)
        while (item := upcoming.result()) is not _END:
            upcoming = executor.submit(next, items, _END)
            yield item


_END = object()


def _prepare(chunk: pd.DataFrame, *, plan, region, update: bool) -> tuple[pd.DataFrame, NormalizedChunk]:
    row_errors = chunk.pop(ROW_ERROR) if ROW_ERROR in chunk.columns else None
    return chunk, normalize_chunk(chunk, plan=plan, region=region, row_errors=row_errors, keep_duplicates=update)


def _commit_chunk(
    import_file: ImportFile, *, owner: str, chunk: pd.DataFrame, normalized: NormalizedChunk, on_duplicate: str
) -> None:
    update = on_duplicate == "update"
    reasons = normalized.reasons
    checkpoint = import_file.checkpoint_rows + normalized.rows
    started = time.monotonic()
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        rounds = split_in_chunk_duplicates(normalized.leads) if update else [normalized.leads]
        for rows in rounds:
            result = lead_bulk_write(
                company=import_file.company, import_file=import_file, rows=rows, on_duplicate=on_duplicate
            )
            for row_number in result.duplicate_row_numbers:
                reasons.setdefault(row_number, []).append(DUPLICATE)
        # The fence comes last: it locks the import row only for the error part and the commit, so a
        # runner stalled mid-chunk never makes a cancel (or the reaper) wait for it.
        fenced = _guarded_update(
            import_file.pk,
            owner,
            processed_records=checkpoint,
            checkpoint_rows=checkpoint,
            failed_records=F("failed_records") + len(reasons),
        )
        if not fenced:
            raise LeaseLost()  # rolls the chunk back
        # Under the lock: a runner that lost its lease cannot overwrite the owner's part of this chunk.
        _write_error_part(import_file, chunk=chunk, reasons=reasons)
    metrics.chunk_committed(seconds=time.monotonic() - started, rows=normalized.rows, failed=len(reasons))
    import_file.checkpoint_rows = checkpoint


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: the chunk's COMMIT returns before its WAL is flushed (the WAL writer flushes it
    within a fraction of a second) instead of stalling the import on the disk at every chunk.
    Safe here: a server crash can only lose whole transactions, and the chunk's leads and its checkpoint
    are one transaction, so a lost chunk is simply imported again when the import resumes. The import's
    final update (completed) commits synchronously, flushing every chunk before it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _write_error_part(import_file: ImportFile, *, chunk: pd.DataFrame, reasons: dict) -> None:
    """The chunk's failed rows, in a part named by its first row: a re-run of the chunk overwrites it
    (or deletes the part a run that died before its commit left, when the chunk has no failed row now)."""
    storage = import_file.error_file.storage
    name = f"{_part_folder(import_file)}/{int(chunk.index[0]):010d}.csv"
    if not reasons:
        if storage.exists(name):
            storage.delete(name)
        return
    failed = chunk.loc[sorted(reasons)].fillna("").astype(str)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row_number, cells in zip(failed.index, failed.itertuples(index=False, name=None), strict=True):
        writer.writerow([*(neutralize(cell) for cell in cells), row_number, neutralize("; ".join(reasons[row_number]))])
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(buffer.getvalue().encode("utf-8")))
    if saved != name:  # a concurrent writer of the same part: cannot happen under the lease
        raise RuntimeError(f"Error part {name} was stored as {saved}")


def _part_names(import_file: ImportFile) -> list[str]:
    storage = import_file.error_file.storage
    folder = _part_folder(import_file)
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{name}" for name in sorted(files) if name.endswith(".csv")]


def _assemble_error_file(import_file: ImportFile, *, header: list[str]) -> str | None:
    """Concatenate the parts, in row order, under one header (UTF-8 with BOM); delete the parts."""
    parts = _part_names(import_file)
    if not parts:
        return None
    storage = import_file.error_file.storage
    with tempfile.TemporaryDirectory(prefix="leadsy-errors-") as folder:
        path = os.path.join(folder, "errors.csv")
        with ErrorFileWriter(path, header):  # the BOM and the header row, once
            pass
        with open(path, "ab") as target:
            for name in parts:
                with storage.open(name, "rb") as part:
                    shutil.copyfileobj(part, target, 1024 * 1024)
        field = import_file.error_file
        with open(path, "rb") as source:
            field.save(f"{import_file.import_code}-errors.csv", File(source), save=False)
    delete_error_parts(import_file)
    return field.name


def _keep_partial_errors(import_file: ImportFile) -> None:
    """A cancelled or failed import keeps the error file of the chunks it committed."""
    import_file.refresh_from_db()
    if import_file.status not in (Status.CANCELLED, Status.FAILED) or import_file.error_file:
        return
    try:
        fmt = FileFormat.from_dict(import_file.file_format)
        name = _assemble_error_file(import_file, header=_error_header(fmt))
    except Exception:
        logger.exception("Import %s: could not assemble the partial error file", import_file.import_code)
        return
    if name:
        ImportFile.objects.filter(pk=import_file.pk, status=import_file.status, error_file="").update(error_file=name)


def delete_error_parts(import_file: ImportFile) -> None:
    storage = import_file.error_file.storage
    for name in _part_names(import_file):
        storage.delete(name)


def _fail(import_file: ImportFile, owner: str, message: str) -> None:
    failed = _guarded_update(
        import_file.pk,
        owner,
        status=Status.FAILED,
        error_message=message,
        finished_at=timezone.now(),
        lease_owner="",
        lease_expires_at=None,
    )
    if not failed:
        logger.info("Import %s: not marked failed, the lease was lost", import_file.import_code)
        return
    _keep_partial_errors(import_file)
