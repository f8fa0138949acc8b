"""The one way leads are written in bulk (imports use it): set-based SQL, never a save per row.

Rows go into a per-connection staging table (PostgreSQL: COPY; SQLite: executemany), then one
`INSERT ... SELECT ... ON CONFLICT DO NOTHING` moves them into `campaigns_lead`. The Lead unique
constraints decide what a duplicate is, so two imports running at once can never write one twice.
"""

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from django.db import connection
from django.utils import timezone
from pyarrow import csv as arrow_csv

from .models import LEAD_TEXT_FIELDS, Lead
from .search import lead_search_pending_add, lead_search_refresh

TABLE = Lead._meta.db_table
STAGING = "lead_staging"
TEXT_COLUMNS = list(LEAD_TEXT_FIELDS)
STAGING_COLUMNS = ["row_number", *TEXT_COLUMNS, "email", "phone", "extra"]
# SQLite allows 999 bound parameters per statement by default.
SQLITE_BATCH = 999 // len(STAGING_COLUMNS)


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    duplicate_row_numbers: list[int] = field(default_factory=list)


def lead_bulk_write(*, company, import_file, rows: pd.DataFrame, on_duplicate: str = "skip") -> WriteResult:
    """Write normalized lead rows (index = the file's row number; columns: the lead fields, `email`
    lower-cased or None, `phone` E.164 or None, `extra` as JSON text). No key may repeat inside `rows`.

    skip: rows whose email or phone already exists in the company are not written (duplicates).
    update: those rows fill the existing lead (non-empty values win), the others are inserted.
    Must run inside a transaction: the staging table lives until its end.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("lead_bulk_write must run inside transaction.atomic()")
    result = WriteResult()
    if rows.empty:
        return result
    staged = rows.reindex(columns=STAGING_COLUMNS[1:])
    staged.insert(0, "row_number", rows.index.astype("int64"))
    postgres = connection.vendor == "postgresql"
    now = timezone.now()
    with connection.cursor() as cursor:
        _stage(cursor, staged, postgres=postgres)
        if on_duplicate == "update":
            updated, updated_ids = _update_existing(cursor, staged, company_id=company.pk, now=now, postgres=postgres)
            lead_search_refresh(lead_ids=updated_ids)
            result.updated = len(updated)
            if updated:
                _unstage(cursor, updated, postgres=postgres)
                staged = staged[~staged["row_number"].isin(updated)]
        inserted_keys = _insert(cursor, company=company, import_file=import_file, now=now, postgres=postgres)
    # New leads are indexed for search after the import, by a task; changed ones now (campaigns/search.py).
    lead_search_pending_add(company_id=company.pk, lead_ids=[lead_id for _, _, lead_id in inserted_keys])
    inserted = _rows_matching(
        staged, emails={e for e, _, _ in inserted_keys if e}, phones={p for e, p, _ in inserted_keys if not e}
    )
    result.inserted = len(inserted)
    result.duplicate_row_numbers = sorted(set(staged["row_number"].tolist()) - inserted)
    return result


def _stage(cursor, staged: pd.DataFrame, *, postgres: bool) -> None:
    columns = ", ".join(f"{name} text" if name != "row_number" else "row_number bigint" for name in STAGING_COLUMNS)
    if postgres:
        # Room to sort a chunk by row number in memory (the default 4 MB spills it to disk).
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # These statements look big to the planner; compiling them (JIT) costs more than it saves.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ({columns}) ON COMMIT DELETE ROWS")
        cursor.execute(f"TRUNCATE {STAGING}")
        copy_sql = f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN (FORMAT csv)"
        # Arrow writes the CSV several times faster than pandas. Missing values come out as unquoted
        # empty fields, which COPY reads as NULL; the insert treats NULL and '' alike.
        data = io.BytesIO()
        arrow_csv.write_csv(
            pa.Table.from_pandas(staged, preserve_index=False), data, arrow_csv.WriteOptions(include_header=False)
        )
        # The raw psycopg cursor bypasses Django's error translation: without the wrapper a dropped
        # connection raised psycopg's OperationalError, which callers catching DatabaseError missed
        # (an import then failed for good instead of resuming at its checkpoint).
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            copy.write(data.getbuffer())
        return
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ({columns})")
    cursor.execute(f"DELETE FROM {STAGING}")  # noqa: S608 - SQL from module constants
    placeholders = ", ".join(["%s"] * len(STAGING_COLUMNS))
    values = [
        tuple(None if value is None or value != value else value for value in row)
        for row in staged.itertuples(index=False, name=None)
    ]
    insert = f"INSERT INTO {STAGING} ({', '.join(STAGING_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
    cursor.executemany(insert, values)


def _insert(cursor, *, company, import_file, now, postgres: bool) -> list[tuple]:
    """Move the staged rows into the lead table, skipping those whose key the company has; the keys
    inserted, with the new leads' ids. `ON CONFLICT` checks each row against the unique indexes themselves:
    a duplicate check planned as a query is at the mercy of statistics, which lag behind a running import (with a new
    company estimated at one lead, PostgreSQL scanned all its leads for every staged row)."""
    extra = "CAST(COALESCE(NULLIF(s.extra, ''), '{}') AS jsonb)" if postgres else "COALESCE(NULLIF(s.extra, ''), '{}')"
    texts = ", ".join(f"COALESCE(s.{name}, '')" for name in TEXT_COLUMNS)
    # `WHERE true`: SQLite needs it to tell `ON CONFLICT` from a join's `ON`.
    # Identifiers are module constants; values are bound parameters.
    sql = f"""
        INSERT INTO {TABLE} (company_id, campaign_id, stage_id, import_file_id, {", ".join(TEXT_COLUMNS)},
                             email, phone, extra, created_at, updated_at)
        SELECT %s, %s, %s, %s, {texts}, NULLIF(s.email, ''), NULLIF(s.phone, ''), {extra}, %s, %s
        FROM {STAGING} s WHERE true ORDER BY s.row_number
        ON CONFLICT DO NOTHING
        RETURNING email, phone, id
    """  # noqa: S608
    campaign_id = getattr(import_file, "campaign_id", None)
    stage_id = getattr(import_file, "stage_id", None)
    cursor.execute(sql, [company.pk, campaign_id, stage_id, getattr(import_file, "pk", None), now, now])
    return cursor.fetchall()


def _update_existing(
    cursor, staged: pd.DataFrame, *, company_id: int, now, postgres: bool
) -> tuple[set[int], list[int]]:
    """Fill leads that share an email, then (for the rest) a phone with a staged row; the row numbers done
    and the ids of the leads changed."""
    extra = (
        "l.extra || CAST(COALESCE(NULLIF(s.extra, ''), '{}') AS jsonb)"
        if postgres
        else ("json_patch(l.extra, COALESCE(NULLIF(s.extra, ''), '{}'))")
    )
    # Email and phone are keys: they are never changed here, so an update cannot collide with another lead.
    sets = ", ".join(f"{name} = COALESCE(NULLIF(s.{name}, ''), l.{name})" for name in TEXT_COLUMNS)
    # SQLite's RETURNING sees only the updated table, unqualified; PostgreSQL's needs the alias.
    returning = "lower(l.email), l.phone, l.id" if postgres else "lower(email), phone, id"
    done: set[int] = set()
    lead_ids: list[int] = []
    for key, condition in (
        ("email", "l.email IS NOT NULL AND lower(l.email) = s.email"),
        ("phone", "l.phone IS NOT NULL AND l.phone = s.phone"),
    ):
        cursor.execute(
            f"""UPDATE {TABLE} AS l SET {sets}, extra = {extra}, updated_at = %s
                FROM {STAGING} AS s WHERE l.company_id = %s AND {condition}
                RETURNING {returning}""",  # noqa: S608
            [now, company_id],
        )
        returned = cursor.fetchall()
        lead_ids += [lead_id for _, _, lead_id in returned]
        remaining = staged[~staged["row_number"].isin(done)]
        if key == "email":
            matched = _rows_matching(remaining, emails={e for e, _, _ in returned if e}, phones=set())
        else:
            matched = _rows_matching(
                remaining[remaining["phone"].notna()], emails=set(), phones={p for _, p, _ in returned}
            )
        if matched and key == "email":
            _unstage(cursor, matched, postgres=postgres)
        done |= matched
    return done, lead_ids


def _unstage(cursor, row_numbers, *, postgres: bool) -> None:
    numbers = sorted(row_numbers)
    if postgres:
        cursor.execute(f"DELETE FROM {STAGING} WHERE row_number = ANY(%s)", [numbers])  # noqa: S608
        return
    for start in range(0, len(numbers), 900):
        batch = numbers[start : start + 900]
        marks = ", ".join(["%s"] * len(batch))
        cursor.execute(f"DELETE FROM {STAGING} WHERE row_number IN ({marks})", batch)  # noqa: S608


def _rows_matching(staged: pd.DataFrame, *, emails: set, phones: set) -> set[int]:
    """Row numbers of staged rows with one of these emails or phones (keys are unique among staged rows)."""
    mask = _isin(staged["email"], emails) | _isin(staged["phone"], phones)
    return set(staged.loc[mask, "row_number"].tolist())


def _isin(column: pd.Series, values: set) -> np.ndarray:
    """`column.isin(values)`, missing values never matching. pandas' isin on an Arrow-backed `str`
    column builds an Arrow scalar per value, which costs more than the rest of the chunk's write."""
    cells = column.to_numpy(dtype=object, na_value=None)
    return np.fromiter((cell is not None and cell in values for cell in cells), dtype=bool, count=len(cells))
