"""URLs of stored files, for every app's serializers."""

from django.conf import settings


def absolute_url(request, path: str) -> str:
    """`path` on the API's host: the request's, or outside a request (a worker) API_BASE_URL's; the path
    itself when that is unset."""
    if request is not None:
        return request.build_absolute_uri(path)
    if settings.API_BASE_URL:
        return settings.API_BASE_URL.rstrip("/") + path
    return path


def absolute_file_url(request, file) -> str | None:
    """An absolute URL for a stored file (local media or S3), or None when there is no file."""
    if not file:
        return None
    url = file.url
    return absolute_url(request, url) if url.startswith("/") else url
