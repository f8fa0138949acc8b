"""URLs of stored files, for every app's serializers."""


def absolute_file_url(request, file) -> str | None:
    """An absolute URL for a stored file (local media or S3), or None when there is no file."""
    if not file:
        return None
    url = file.url
    if url.startswith("/") and request is not None:
        return request.build_absolute_uri(url)
    return url
