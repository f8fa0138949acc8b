"""An import's files leave storage with their import, and after IMPORT_FILE_RETENTION_DAYS (the row stays)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from imports.models import ImportFile
from imports.services import import_file_process, import_file_retry
from imports.tasks import expire_files
from leadsy.errors import Conflict
from tests.imports.conftest import stored_files
from tests.imports.test_api import URL, upload

# One good row and one failing one: the import has an original file and an error file.
CSV = b"Email,Phone\nana@example.com,612000001\nnot-an-email,612000002\n"
Status = ImportFile.Status


@pytest.fixture
def finished(owner, client_for):
    """`finished(days_ago)`: a completed import (original + error file on disk) that finished days ago."""

    def make(days_ago: float = 0) -> ImportFile:
        code = upload(client_for(owner), owner.company.id, CSV).json()["import_file"]["import_code"]
        import_file = import_file_process(import_file_id=ImportFile.objects.get(import_code=code).pk)
        assert import_file.status == Status.COMPLETED and import_file.error_file
        finished_at = timezone.now() - timedelta(days=days_ago)
        ImportFile.objects.filter(pk=import_file.pk).update(finished_at=finished_at)
        return import_file

    return make


def _names(root) -> set[str]:
    return {path.name for path in stored_files(root)}


@pytest.mark.django_db
def test_deleting_an_import_removes_its_files_once_committed(
    finished, private_root, django_capture_on_commit_callbacks
):
    import_file = finished()
    assert _names(private_root) == {f"{import_file.import_code}.csv", f"{import_file.import_code}-errors.csv"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ImportFile.objects.get(pk=import_file.pk).delete()
    assert len(_names(private_root)) == 2, "files must stay until the delete is committed"
    for callback in callbacks:
        callback()
    assert stored_files(private_root) == []


@pytest.mark.django_db
def test_a_rolled_back_delete_keeps_the_files(finished, private_root, django_capture_on_commit_callbacks):
    import_file = finished()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        ImportFile.objects.get(pk=import_file.pk).delete()
        raise RuntimeError("rolled back")
    assert len(_names(private_root)) == 2 and ImportFile.objects.filter(pk=import_file.pk).exists()


@pytest.mark.django_db
def test_deleting_the_company_removes_the_files_of_all_its_imports(
    owner, finished, private_root, django_capture_on_commit_callbacks
):
    finished(), finished()
    assert len(stored_files(private_root)) == 4
    with django_capture_on_commit_callbacks(execute=True):
        owner.company.delete()
    assert stored_files(private_root) == [] and not ImportFile.objects.exists()


@pytest.mark.django_db
def test_files_of_an_import_past_retention_expire_and_the_row_keeps_its_counters(
    owner, client_for, finished, private_root, django_capture_on_commit_callbacks
):
    old = finished(days_ago=settings.IMPORT_FILE_RETENTION_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_files() == [old.import_code]
    assert stored_files(private_root) == []
    client = client_for(owner)
    body = client.get(f"{URL}/{old.import_code}").json()["import_file"]
    assert (body["status_name"], body["total_records"], body["processed_records"], body["failed_records"]) == (
        "completed", 2, 2, 1,
    )  # fmt: skip
    assert body["files_expired_at"] and body["original_file"] is None and body["error_file"] is None
    for kind in ("original_file", "error_file"):
        response = client.get(f"{URL}/{old.import_code}/{kind}")
        assert response.status_code == 410
        assert "deleted on" in response.json()["message"]
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_files() == []  # once


@pytest.mark.django_db
def test_files_within_retention_are_kept(owner, client_for, finished, private_root, django_capture_on_commit_callbacks):
    recent = finished(days_ago=settings.IMPORT_FILE_RETENTION_DAYS - 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_files() == []
    assert len(stored_files(private_root)) == 2
    body = client_for(owner).get(f"{URL}/{recent.import_code}").json()["import_file"]
    assert body["files_expired_at"] is None and body["original_file"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.PENDING, Status.PROCESSING])
def test_pending_and_running_imports_never_expire(owner, client_for, private_root, status):
    code = upload(client_for(owner), owner.company.id, CSV).json()["import_file"]["import_code"]
    long_ago = timezone.now() - timedelta(days=10 * settings.IMPORT_FILE_RETENTION_DAYS)
    ImportFile.objects.filter(import_code=code).update(status=status, created_at=long_ago, finished_at=long_ago)
    assert expire_files() == []
    assert len(stored_files(private_root)) == 1 and ImportFile.objects.get(import_code=code).files_expired_at is None


@pytest.mark.django_db
def test_zero_days_keeps_files_for_ever(settings, finished, private_root):
    settings.IMPORT_FILE_RETENTION_DAYS = 0
    finished(days_ago=10_000)
    assert expire_files() == []
    assert len(stored_files(private_root)) == 2


@pytest.mark.django_db
def test_an_import_whose_files_expired_cannot_be_retried(finished, django_capture_on_commit_callbacks):
    old = finished(days_ago=settings.IMPORT_FILE_RETENTION_DAYS + 1)
    ImportFile.objects.filter(pk=old.pk).update(status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        expire_files()
    with pytest.raises(Conflict, match="expired"):
        import_file_retry(import_file=ImportFile.objects.get(pk=old.pk))


def test_beat_runs_the_expiry_daily():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "imports.expire_files")
    assert entry["schedule"].hour == {3}
