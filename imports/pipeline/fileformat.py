"""What every later step agrees on: the refusal it raises, what the inspection found, how columns are named.

Nothing here reads a file. `UploadRejected` is raised by every step of the pipeline (upload check and
worker alike); `FileFormat` is what the upload check stores and the worker reads the file by.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Literal

from django.conf import settings

from leadsy.errors import InvalidFields, TooLarge

ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252",
}

# The columns our error file adds after the file's own ("reserved columns"): a file whose header has
# both is one of our error files uploaded again, and the reader drops them.
ERROR_FILE_COLUMNS = ("row_number", "error")

EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]{7,}$")


class UploadRejected(InvalidFields):
    """A file (or its mapping) that cannot be imported: 422 on `field` (`UploadTooLarge`: 413)."""

    status_code = 422

    def __init__(self, message: str, *, field: str = "file"):
        self.field = field
        super().__init__({field: [message]}, message)

    def __reduce__(self):
        # Keep the field when pickled (e.g. by Celery between processes).
        return (_rebuild, (type(self), self.message, self.field))


class UploadTooLarge(UploadRejected, TooLarge):
    """A file over a size limit: the handler answers 413 (TooLarge is checked before InvalidFields)."""

    status_code = 413


def _rebuild(cls, message: str, field: str) -> UploadRejected:
    return cls(message, field=field)


def limit(name: str) -> int:
    """An import limit from the settings (IMPORT_MAX_...), read when needed so tests can change it."""
    return int(getattr(settings, name))


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def fold(name: str) -> str:
    """Fold case, accents and punctuation: 'Correo electrónico' -> 'correoelectronico'."""
    decomposed = unicodedata.normalize("NFKD", str(name))
    return "".join(char for char in decomposed if char.isalnum() and not unicodedata.combining(char)).casefold()


def unique_columns(header: list[str]) -> list[str]:
    """Column names the reader gives the DataFrame: stripped, blanks named by position, duplicates numbered.

    ['Email', '', 'Email'] -> ['Email', 'column_2', 'Email.1'] (deterministic, like pandas).
    """
    names = [str(cell).strip() or f"column_{index + 1}" for index, cell in enumerate(header)]
    originals = set(names)
    used: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate, suffix = name, 0
        # A numbered name never takes one a later column really has.
        while candidate in used or (candidate != name and candidate in originals):
            suffix += 1
            candidate = f"{name}.{suffix}"
        used.add(candidate)
        result.append(candidate)
    return result


def is_error_file(header: list[str]) -> bool:
    """An error file we produced, uploaded again: it ends in our row_number and error columns."""
    names = {fold(cell) for cell in header}
    return all(fold(column) in names for column in ERROR_FILE_COLUMNS)


def reserved_columns(header: list[str]) -> list[str]:
    """The unique column names of a re-uploaded error file's row_number/error columns ([] for other files)."""
    if not is_error_file(header):
        return []
    reserved = {fold(column) for column in ERROR_FILE_COLUMNS}
    return [name for name in unique_columns(header) if fold(name) in reserved]


def check_header(header: list[str], label: str) -> None:
    """A first row that names columns: not empty, not too wide, not a row of data."""
    if not any(header):
        raise UploadRejected(f"{label} has no header: its first row is empty. The first row must name the columns.")
    max_columns = limit("IMPORT_MAX_COLUMNS")
    if len(header) > max_columns:
        raise UploadRejected(f"{label} has {len(header)} columns; at most {max_columns} are accepted.")
    for cell in header:
        if EMAIL_LIKE.match(cell) or (PHONE_LIKE.match(cell) and sum(c.isdigit() for c in cell) >= 7):
            raise UploadRejected(
                f"{label} has no header: its first row holds data ('{cell[:60]}'). "
                "Add a first row naming the columns, e.g. First Name, Last Name, Email, Phone."
            )


def check_size(*, kind: str, size: int, label: str) -> None:
    """The one size check of an upload, per kind (CSV and XLSX have their own limits)."""
    max_bytes = limit("IMPORT_MAX_XLSX_BYTES" if kind == "xlsx" else "IMPORT_MAX_CSV_BYTES")
    if size > max_bytes:
        raise UploadTooLarge(f"{label} is larger than the {megabytes(max_bytes)} limit for {kind.upper()} files.")


@dataclass(frozen=True)
class FileFormat:
    kind: Literal["csv", "xlsx"]
    encoding: str | None  # csv: "utf-8" | "utf-8-sig" | "utf-16" | "utf-16-le" | "utf-16-be" | "cp1252"
    delimiter: str | None  # csv: "," ";" "\t" "|"
    header: list[str]  # the header cells as in the file, stripped
    # xlsx: the sheet row holding the header (the first row with a visible cell); csv: the record
    # holding it (2 after Excel's "sep=;" line, else 1). Data rows are still numbered from 2 in a CSV.
    header_row: int = 1
    # csv: the spreadsheet row of the first data row; the reader skips the file's first `header_row`
    # records (blank lines included). `skip_records` (the non-blank ones) is kept for stored formats.
    first_row: int = 2
    skip_records: int = 1

    @property
    def columns(self) -> list[str]:
        """The DataFrame column names `read.iter_chunks` yields: the header made unique."""
        return unique_columns(self.header)

    @property
    def encoding_name(self) -> str | None:
        return ENCODING_NAMES.get(self.encoding or "", self.encoding)

    def to_dict(self) -> dict:
        """JSON-ready, e.g. for ImportFile.options, so a resumed worker reads the file the same way."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FileFormat:
        return cls(
            **{name: data[name] for name in ("kind", "encoding", "delimiter", "header") if name in data},
            header_row=data.get("header_row", 1),
            first_row=data.get("first_row", 2),
            skip_records=data.get("skip_records") or data.get("header_row", 1),  # stored before issue 15
        )
