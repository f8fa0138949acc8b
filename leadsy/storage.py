"""Storage configuration and the private storage that import files live in.

`STORAGES` has two file stores: `default` (avatars: may be public) and `private` (import files:
customer data, never publicly readable — no URL on disk, signed short-lived URLs on S3).
"""

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


def s3_storages(*, bucket: str, endpoint_url: str | None = None, region_name: str | None = None) -> dict:
    common = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "region_name": region_name,
        "default_acl": None,  # objects inherit the bucket's (private) policy
        "file_overwrite": False,
        "querystring_auth": True,
        "signature_version": "s3v4",
    }
    return {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "location": "media", "querystring_expire": 7 * 24 * 3600},
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            # Signed download URLs for import files live five minutes.
            "OPTIONS": {**common, "location": "private", "querystring_expire": 300},
        },
    }


def local_storages(*, private_root: str) -> dict:
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "private": {
            "BACKEND": "leadsy.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": private_root},
        },
    }


class PrivateFileSystemStorage(FileSystemStorage):
    """Local storage for customer files: it has no URL, so nothing can link to it by mistake."""

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through an authenticated view.")


class _PrivateStorage(LazyObject):
    """`storages["private"]`, looked up when first used (and again after STORAGES changes in tests),
    so that a FileField's storage follows the settings instead of being fixed at model load."""

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = _PrivateStorage()


def get_private_storage():
    return private_storage


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        private_storage._wrapped = empty
