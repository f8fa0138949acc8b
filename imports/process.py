"""One run of an import, from the stored file to the database and the error file, under the lease.

    original file ──read──▶ chunks ──validate/dedupe──▶ leads + reasons ──write──▶ campaigns_lead
                                                              └──report──▶ error part (per chunk)
    every chunk: leads, counters, checkpoint and error part commit together, fenced by the lease;
    at the end the parts become the error file and the import is `completed`.

A run that dies resumes exactly after the last committed chunk. The worker enforces the row limit
itself (`pipeline.limits`): rows past it fail with the limit's reason, whatever the upload count said.
"""

import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar, cast

import pandas as pd
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F

from campaigns.models import LEAD_CONTACT_FIELDS
from campaigns.tasks import lead_search_index_soon
from leadsy import logs, metrics

from .models import ImportFile, merge_warning_counts
from .pipeline.dedupe import DUPLICATE, drop_in_chunk_duplicates
from .pipeline.fileformat import FileFormat, UploadRejected
from .pipeline.headers import ColumnPlan, plan_columns
from .pipeline.limits import RowLimit, row_limit
from .pipeline.read import ROW_ERROR, count_rows, first_sheet_name, iter_chunks
from .pipeline.report import assemble_error_file, keep_partial_errors, write_error_part
from .pipeline.validate import NormalizedChunk, no_records, validate_chunk
from .pipeline.write import commit_without_waiting_for_disk, refresh_lead_statistics, write_leads
from .runner import LeaseLost, acquire_lease, fail, finish, guarded_update

logger = logging.getLogger("leadsy.imports")

Status = ImportFile.Status
INTERNAL_ERROR = "The import stopped because of an internal error. Retry it, or contact support if it happens again."


PROGRESS_STEPS = 20
CONTENT_SAMPLE_ROWS = 100


def chunk_size() -> int:
    return getattr(settings, "IMPORT_CHUNK_SIZE", 50_000)


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
        keep_partial_errors(import_file)
    except UploadRejected as error:
        fail(import_file, owner, error.message)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        fail(import_file, owner, f"The file could not be read: {error}")
    except DatabaseError:
        # The database went away mid-chunk: nothing of that chunk was committed. The lease expires
        # and the reaper queues the import again, which resumes at the checkpoint. Logged here only.
        logger.exception("Import %s: database error, left for the reaper", import_file.import_code)
        raise
    except Exception:
        logger.exception("Import %s failed", import_file.import_code)
        fail(import_file, owner, INTERNAL_ERROR)
    import_file.refresh_from_db()
    return import_file


def _download(import_file: ImportFile, folder: str) -> str:
    """A local copy of the original: readers need a path, and the storage may be S3."""
    name = import_file.original_file.name
    if not name:
        raise FileNotFoundError(f"Import {import_file.import_code} has no original file.")
    suffix = Path(name).suffix
    path = os.path.join(folder, f"original{suffix}")
    with (
        import_file.original_file.storage.open(name, "rb") as source,
        open(path, "wb") as target,
    ):
        shutil.copyfileobj(source, target, 1024 * 1024)
    return path


def _process(import_file: ImportFile, *, owner: str, path: str, progress) -> None:
    fmt = FileFormat.from_dict(import_file.file_format)
    options = import_file.options or {}
    plan = plan_for_file(path, fmt, mapping=options.get("mapping") or None)
    region = import_file.company.country or options.get("default_country") or None
    on_duplicate = options.get("on_duplicate") or "skip"
    allowed = row_limit(company=import_file.company)

    if not import_file.total_records:
        total = import_file.file_format.get("data_rows") or count_rows(path, fmt)
        if not guarded_update(import_file.pk, owner, total_records=total):
            raise LeaseLost()
        import_file.total_records = total

    # Chunks of at most 5% of the file, so progress moves at least every 5% (small files too).
    size = max(1, min(chunk_size(), -(-import_file.total_records // PROGRESS_STEPS)))
    chunks = iter_chunks(path, fmt, chunk_size=size, skip_rows=import_file.checkpoint_rows)
    limited = _past_limit_fails(chunks, allowed=allowed, start=import_file.checkpoint_rows)
    prepared = (_prepare(chunk, plan=plan, region=region, on_duplicate=on_duplicate) for chunk in limited)
    for chunk, normalized in read_ahead(prepared):
        _commit_chunk(import_file, owner=owner, chunk=chunk, normalized=normalized, on_duplicate=on_duplicate)
        if progress is not None:
            import_file.refresh_from_db()
            progress(import_file)

    error_name = assemble_error_file(import_file, fmt=fmt)
    if not finish(import_file.pk, owner, status=Status.COMPLETED, error_file=error_name or ""):
        raise LeaseLost()
    refresh_lead_statistics(rows=import_file.checkpoint_rows)
    lead_search_index_soon()  # the new leads into the search index, by a worker: the import does not wait


def plan_for_file(path, fmt: FileFormat, *, mapping: dict | None) -> ColumnPlan:
    """The column plan of a file, its content rules judged on the file's first rows (the same rows
    for the upload check, the preview and every run of the worker)."""
    sample = next(iter_chunks(path, fmt, chunk_size=CONTENT_SAMPLE_ROWS), None)
    return plan_columns(fmt.header, mapping=mapping, sample=sample)


PREVIEW_ROWS = 20
PREVIEW_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "utf-16": "utf-16le", "utf-16-le": "utf-16le",
                     "utf-16-be": "utf-16be", "utf-32": "utf-32", "cp1252": "windows-1252"}  # fmt: skip


def count_records(path, fmt: FileFormat) -> int:
    """The data rows that are records (`validate.no_records` are not), reading the whole file: for a
    small file, where it costs little; the worker corrects its upload count the same way as it goes."""
    total = 0
    for chunk in iter_chunks(path, fmt, chunk_size=chunk_size()):
        row_errors = chunk.pop(ROW_ERROR) if ROW_ERROR in chunk.columns else None
        total += len(chunk) - int(no_records(chunk, row_errors).sum())
    return total


def preview(*, path, fmt: FileFormat, plan: ColumnPlan, region: str | None, total: int, existing) -> dict:
    """Endpoint 58's `preview`: what the import would do with the first PREVIEW_ROWS data rows, by the
    same steps as the worker (nothing is stored). `existing(emails, phones)`: the keys of those that the
    company already has (they would be duplicates)."""
    first = next(iter_chunks(path, fmt, chunk_size=PREVIEW_ROWS), None)
    rows: list[dict] = []
    summary = {"sampled": 0, "valid": 0, "invalid": 0, "duplicates": 0}
    if first is not None:
        row_errors = first.pop(ROW_ERROR) if ROW_ERROR in first.columns else None
        normalized = drop_in_chunk_duplicates(validate_chunk(first, plan=plan, region=region, row_errors=row_errors))
        leads = normalized.leads
        known = existing([value for value in leads["email"] if value], [value for value in leads["phone"] if value])
        for number, lead in leads.iterrows():
            if lead["email"] in known or lead["phone"] in known:
                normalized.reasons.setdefault(int(number), []).append(DUPLICATE)
        for number, values in normalized.every_row.iterrows():
            errors = normalized.reasons.get(int(number), [])
            lead = {name: None if pd.isna(values[name]) else values[name] for name in LEAD_CONTACT_FIELDS}
            rows.append({
                "row_number": int(number),
                "lead": {**lead, "extra": json.loads(values["extra"])},
                "errors": errors,
                "warnings": [] if errors else normalized.warnings.get(int(number), []),
            })  # fmt: skip
            summary["sampled"] += 1
            if errors == [DUPLICATE]:
                summary["duplicates"] += 1
            elif errors:
                summary["invalid"] += 1
            else:
                summary["valid"] += 1
    columns = [
        {"index": index, "name": original, "field": (target := plan.field_of(name)),
         "matched_by": plan.matched_by.get(name) if target else None}
        for index, (name, original) in enumerate(zip(fmt.columns, fmt.header, strict=True))
    ]  # fmt: skip
    return {
        "file_format": {
            "kind": fmt.kind,
            "encoding": PREVIEW_ENCODINGS.get(fmt.encoding or "", fmt.encoding),
            "delimiter": fmt.delimiter,
            "header_row": fmt.header_row,
            "sheet": first_sheet_name(path) if fmt.kind == "xlsx" else None,
        },
        "total_records": total,
        "columns": columns,
        "rows": rows,
        "summary": summary,
    }


def _past_limit_fails(chunks: Iterator[pd.DataFrame], *, allowed: RowLimit, start: int) -> Iterator[pd.DataFrame]:
    """The chunks, with every data row past the row limit marked to fail with the limit's reason:
    the worker never imports more than the plan allows, whatever the upload count said."""
    seen = start
    for chunk in chunks:
        if chunk.empty:
            continue
        room = max(allowed.rows - seen, 0)
        seen += len(chunk)
        if room < len(chunk):
            chunk.iloc[room:, chunk.columns.get_loc(ROW_ERROR)] = allowed.row_reason
        yield chunk


T = TypeVar("T")


def read_ahead(items: Iterator[T]) -> Iterator[T]:
    """`items`, with the next one computed in a thread while the caller works on the current one:
    reading and normalizing chunk N+1 (pandas and Arrow, mostly outside the GIL) overlaps with writing
    chunk N (mostly waiting on PostgreSQL). The thread never touches the database."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-read-ahead") as executor:
        upcoming = executor.submit(next, items, _END)
        while (item := upcoming.result()) is not _END:
            upcoming = executor.submit(next, items, _END)
            yield cast(T, item)  # not the sentinel, so one of `items`


_END = object()


def _prepare(chunk: pd.DataFrame, *, plan, region, on_duplicate: str) -> tuple[pd.DataFrame, NormalizedChunk]:
    row_errors = chunk.pop(ROW_ERROR) if ROW_ERROR in chunk.columns else None
    normalized = validate_chunk(chunk, plan=plan, region=region, row_errors=row_errors)
    if on_duplicate != "update":
        normalized = drop_in_chunk_duplicates(normalized)
    return chunk, normalized


def _commit_chunk(
    import_file: ImportFile, *, owner: str, chunk: pd.DataFrame, normalized: NormalizedChunk, on_duplicate: str
) -> None:
    checkpoint = import_file.checkpoint_rows + normalized.rows
    started = time.monotonic()
    with transaction.atomic():
        commit_without_waiting_for_disk()
        reasons = write_leads(import_file=import_file, normalized=normalized, on_duplicate=on_duplicate)
        # The fence comes last: it locks the import row only for the error part and the commit, so a
        # runner stalled mid-chunk never makes a cancel (or the reaper) wait for it.
        # Warnings of the imported rows only (a row the database refused as a duplicate has none).
        warned = [texts for row, texts in normalized.warnings.items() if row not in reasons]
        warning_counts = Counter(text for texts in warned for text in set(texts))
        counts = merge_warning_counts(import_file.warning_counts or {}, warning_counts)
        processed = import_file.processed_records + normalized.rows - normalized.skipped
        fenced = guarded_update(
            import_file.pk,
            owner,
            processed_records=processed,
            checkpoint_rows=checkpoint,
            failed_records=F("failed_records") + len(reasons),
            duplicate_records=F("duplicate_records") + sum(1 for texts in reasons.values() if DUPLICATE in texts),
            warning_records=F("warning_records") + len(warned),
            warning_counts=counts,
            # Rows that are no records (blank, a report's footer) were counted at upload: not any more.
            total_records=F("total_records") - normalized.skipped,
        )
        if not fenced:
            raise LeaseLost()  # rolls the chunk back
        # Under the lock: a runner that lost its lease cannot overwrite the owner's part of this chunk.
        write_error_part(import_file, chunk=chunk, reasons=reasons)
    metrics.chunk_committed(seconds=time.monotonic() - started, rows=normalized.rows, failed=len(reasons))
    import_file.checkpoint_rows = checkpoint
    import_file.processed_records = processed
    import_file.warning_counts = counts
