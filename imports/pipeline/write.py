"""Step: valid leads into the database, through the one bulk writer (`campaigns.bulk`).

The Lead unique constraints decide what a duplicate of an earlier chunk (or of another import running
at once) is: those rows come back and fail as `duplicate`.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connection

from campaigns.bulk import lead_bulk_write
from campaigns.models import Lead

from ..models import ImportFile
from .dedupe import DUPLICATE, split_in_chunk_duplicates
from .validate import NormalizedChunk

logger = logging.getLogger("leadsy.imports")


def write_leads(*, import_file: ImportFile, normalized: NormalizedChunk, on_duplicate: str) -> dict[int, list[str]]:
    """Write the chunk's leads (inside the caller's transaction); returns the chunk's reasons, with
    the rows the database refused as duplicates added."""
    reasons = normalized.reasons
    rounds = split_in_chunk_duplicates(normalized.leads) if on_duplicate == "update" else [normalized.leads]
    for rows in rounds:
        result = lead_bulk_write(
            company=import_file.company, import_file=import_file, rows=rows, on_duplicate=on_duplicate
        )
        for row_number in result.duplicate_row_numbers:
            reasons.setdefault(row_number, []).append(DUPLICATE)
    return reasons


def commit_without_waiting_for_disk() -> None:
    """PostgreSQL: the chunk's COMMIT returns before its WAL is flushed (the WAL writer flushes it
    within a fraction of a second) instead of stalling the import on the disk at every chunk.
    Safe here: a server crash can only lose whole transactions, and the chunk's leads and its checkpoint
    are one transaction, so a lost chunk is simply imported again when the import resumes. The import's
    final update (completed) commits synchronously, flushing every chunk before it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def refresh_lead_statistics(*, rows: int) -> None:
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
