"""Import files are private in both storages; avatars may be public."""

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from leadsy.storage import private_storage


def _get(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as error:
        return error.code


def test_local_private_storage_has_no_url_and_lives_outside_media_root(settings):
    name = private_storage.save("imports/originals/leads.csv", ContentFile(b"email\na@example.com\n"))
    with pytest.raises(ValueError):
        private_storage.url(name)
    assert not private_storage.path(name).startswith(str(settings.MEDIA_ROOT))


def test_a_file_name_cannot_escape_the_private_storage():
    from django.core.exceptions import SuspiciousFileOperation

    with pytest.raises(SuspiciousFileOperation):
        private_storage.save("../../etc/passwd.csv", ContentFile(b"x"))


def test_s3_private_objects_need_a_signed_url(s3_storage):
    content = b"email\na@example.com\n"
    name = private_storage.save("imports/originals/leads.csv", ContentFile(content))
    signed = private_storage.url(name)
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == ["300"]
    unsigned = signed.split("?")[0]
    assert _get(unsigned) == 403
    assert _get(signed) == 200
    stored = s3_storage.head_object(Bucket=s3_storage.bucket, Key=f"private/{name}")
    assert stored["ContentLength"] == len(content)


def test_s3_default_storage_is_used_for_avatars(s3_storage):
    name = default_storage.save("avatars/users/a.png", ContentFile(b"png"))
    assert s3_storage.head_object(Bucket=s3_storage.bucket, Key=f"media/{name}")
    assert _get(default_storage.url(name)) == 200
