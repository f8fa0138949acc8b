"""A CSV's text behind a synthetic first line, so pandas' C parser sees rows longer than the header."""

import io


class SyntheticHeader(io.TextIOBase):
    """The file's text behind a synthetic first line a few cells wider than the header.

    pandas' C parser sizes a table by its header and refuses (or, with usecols, silently truncates)
    longer rows. With spare columns, a longer row shows up as a non-empty spare cell, and the file's
    own header arrives as the first data record (dropped by the reader).
    """

    def __init__(self, handle, first_line: str):
        self._handle = handle
        self._pending = first_line

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        if not self._pending:
            return self._handle.read(size)
        head, self._pending = self._pending, ""
        if size is None or size < 0:
            return head + self._handle.read()
        return head + self._handle.read(max(size - len(head), 0))

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]  # stub: TextIOBase inherits bytes
        if self._pending:
            head, self._pending = self._pending, ""
            return head
        return self._handle.readline(size)
