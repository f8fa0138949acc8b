"""Last step: the error file — each failed row's original cells plus `row_number` and `error`.

Each committed chunk leaves its failed rows in a part named by its first row (written under the
chunk's lock, so a re-run of the chunk overwrites its own part); the finished import concatenates the
parts in row order under one header. UTF-8 with BOM (Excel then opens accents correctly),
comma-separated. Cells a spreadsheet would run as a formula are prefixed with `'` (CSV injection);
`read.iter_chunks` strips that prefix again when the fixed file is uploaded back.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import tempfile

import pandas as pd
from django.core.files import File
from django.core.files.base import ContentFile

from ..models import ImportFile
from .fileformat import ERROR_FILE_COLUMNS, FileFormat, reserved_columns

logger = logging.getLogger("leadsy.imports")

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
Status = ImportFile.Status


def neutralize(value: str) -> str:
    """'=cmd|...' -> "'=cmd|...": a cell a spreadsheet would evaluate becomes plain text."""
    value = "" if value is None else str(value)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def error_header(fmt: FileFormat) -> list[str]:
    """The file's own header cells (as typed, not de-duplicated) of the columns each chunk carries,
    then the reserved columns."""
    dropped = set(reserved_columns(fmt.header))
    own = [original for name, original in zip(fmt.columns, fmt.header, strict=True) if name not in dropped]
    return [*own, *ERROR_FILE_COLUMNS]


def _part_folder(import_file: ImportFile) -> str:
    return f"imports/errors/parts/{import_file.import_code}"


def write_error_part(import_file: ImportFile, *, chunk: pd.DataFrame, reasons: dict) -> None:
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


def assemble_error_file(import_file: ImportFile, *, fmt: FileFormat) -> str | None:
    """Concatenate the parts, in row order, under one header (UTF-8 with BOM); delete the parts."""
    parts = _part_names(import_file)
    if not parts:
        return None
    storage = import_file.error_file.storage
    with tempfile.TemporaryDirectory(prefix="leadsy-errors-") as folder:
        path = os.path.join(folder, "errors.csv")
        with open(path, "w", encoding="utf-8", newline="") as target:
            target.write("\ufeff")  # utf-8-sig by hand: the parts after it are plain UTF-8
            csv.writer(target).writerow([neutralize(cell) for cell in error_header(fmt)])
        with open(path, "ab") as target:
            for name in parts:
                with storage.open(name, "rb") as part:
                    shutil.copyfileobj(part, target, 1024 * 1024)
        field = import_file.error_file
        with open(path, "rb") as source:
            field.save(f"{import_file.import_code}-errors.csv", File(source), save=False)
    delete_error_parts(import_file)
    return field.name


def keep_partial_errors(import_file: ImportFile) -> None:
    """A cancelled or failed import keeps the error file of the chunks it committed."""
    import_file.refresh_from_db()
    if import_file.status not in (Status.CANCELLED, Status.FAILED) or import_file.error_file:
        return
    try:
        name = assemble_error_file(import_file, fmt=FileFormat.from_dict(import_file.file_format))
    except Exception:
        logger.exception("Import %s: could not assemble the partial error file", import_file.import_code)
        return
    if name:
        ImportFile.objects.filter(pk=import_file.pk, status=import_file.status, error_file="").update(error_file=name)


def delete_error_parts(import_file: ImportFile) -> None:
    storage = import_file.error_file.storage
    for name in _part_names(import_file):
        storage.delete(name)
