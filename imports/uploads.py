"""Stop reading an upload as soon as it passes the import size limit (also when Content-Length lies
or is absent), so an oversized file is answered 413 without being spooled to disk whole."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from leadsy.api.errors import PayloadTooLarge


def max_upload_bytes() -> int:
    return max(settings.IMPORT_MAX_CSV_BYTES, settings.IMPORT_MAX_XLSX_BYTES)


class UploadSizeLimitHandler(FileUploadHandler):
    """First in the handler chain: counts the file bytes and aborts the parse past the limit."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = limit if limit is not None else max_upload_bytes()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            raise PayloadTooLarge(f"The file is larger than the upload limit ({_size(self.limit)}).")
        return raw_data

    def file_complete(self, file_size):
        return None


def _size(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size:,} bytes"
