"""Step 1 of an upload: what kind of lead file is this? The content decides, never the name.

A PNG renamed `.csv` is a PNG; a zip goes to the XLSX gate, anything else that is text to the CSV
check. Either answers a `FileFormat` or raises `UploadRejected`.
"""

from __future__ import annotations

import os

from .fileformat import FileFormat, UploadRejected
from .inspect_csv import SAMPLE_BYTES, inspect_csv
from .inspect_xlsx import inspect_xlsx

# (magic bytes, what a person would call it). Checked before anything is decoded.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old-style Excel .xls (or other Office 97-2003 / password-protected) file",
    ),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"{\\rtf", "an RTF document"),
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
RIFF_MAGIC = b"RIFF"


def inspect_file(path: str | os.PathLike, *, name: str = "", whole: bool = True) -> FileFormat:
    """Detect the real type, encoding, delimiter and header of an uploaded lead file, or raise UploadRejected.

    `whole=False` (the preview): a CSV is decoded as far as its sample only, and an XLSX's zip is judged
    by its directory (declared sizes and ratios, which Python's zipfile enforces as it inflates) without
    inflating every part."""
    size = os.path.getsize(path)
    label = f"'{name}'" if name else "The file"
    if size == 0:
        raise UploadRejected(f"{label} is empty.")
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)

    if head.startswith(ZIP_MAGIC):
        return inspect_xlsx(path, size=size, label=label, whole=whole)
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            raise UploadRejected(
                f"{label} is {what}, not a CSV or XLSX file. Save it as .xlsx or CSV and upload it again."
            )
    if head.startswith(RIFF_MAGIC):
        raise UploadRejected(f"{label} is an image or media file, not a CSV or XLSX file.")
    return inspect_csv(path, head=head, size=size, label=label, whole=whole)
