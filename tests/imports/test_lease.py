"""The lease, the checkpoint, cancel and retry, driven in-process."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.db.models import Count
from django.db.models.functions import Lower
from django.utils import timezone

from campaigns.models import Lead
from imports import runner
from imports.models import ImportFile
from imports.services import import_file_cancel, import_file_create, import_file_process, import_file_retry
from imports.tasks import reap_expired_leases

Status = ImportFile.Status


class Crash(BaseException):
    """Stands for the process dying: escapes every `except Exception`."""


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.IMPORT_CHUNK_SIZE = 250


def create(owner, path):
    return import_file_create(user=owner, company=owner.company, file=str(path), name=path.name, options={},
                              enqueue=False)  # fmt: skip


def expire_lease(import_file):
    ImportFile.objects.filter(pk=import_file.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def assert_exact(import_file, owner, expected):
    import_file.refresh_from_db()
    assert import_file.status == Status.COMPLETED, import_file.error_message
    assert (import_file.total_records, import_file.processed_records, import_file.failed_records) == (
        expected.rows,
        expected.rows,
        expected.failed,
    )
    leads = Lead.objects.filter(company=owner.company)
    assert leads.count() == expected.imported
    assert not leads.values(email_key=Lower("email")).annotate(n=Count("id")).filter(n__gt=1).exists()
    with import_file.error_file.open("rb") as handle:
        assert len(handle.read().decode("utf-8-sig").splitlines()) == 1 + expected.failed


@pytest.mark.django_db
def test_a_held_lease_cannot_be_taken(owner, lead_csv):
    path, _ = lead_csv(600)
    import_file = create(owner, path)
    held = runner.acquire_lease(import_file.pk)
    assert held is not None
    assert runner.acquire_lease(import_file.pk) is None
    result = import_file_process(import_file_id=import_file.pk)
    assert result.lease_owner == held and result.processed_records == 0
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_a_runner_that_lost_its_lease_cannot_commit(owner, lead_csv):
    path, _ = lead_csv(1000)
    import_file = create(owner, path)
    seen = []

    def steal_after_first_chunk(current):
        seen.append((current.processed_records, Lead.objects.count()))
        ImportFile.objects.filter(pk=current.pk).update(lease_owner="otherhost:1:thief")

    result = import_file_process(import_file_id=import_file.pk, progress=steal_after_first_chunk)
    assert len(seen) == 1 and 0 < seen[0][0] < 1000
    assert result.processed_records == seen[0][0] and result.status == Status.PROCESSING
    assert Lead.objects.count() == seen[0][1]


@pytest.mark.django_db
def test_a_crashed_run_resumes_from_its_checkpoint_with_exact_counts(owner, lead_csv):
    path, expected = lead_csv(1000)
    import_file = create(owner, path)

    def crash_after_two_chunks(current):
        if current.processed_records >= 500:
            raise Crash()

    with pytest.raises(Crash):
        import_file_process(import_file_id=import_file.pk, progress=crash_after_two_chunks)
    import_file.refresh_from_db()
    checkpoint = import_file.checkpoint_rows
    assert import_file.status == Status.PROCESSING and 500 <= checkpoint < 1000
    assert import_file.processed_records == checkpoint
    assert import_file_process(import_file_id=import_file.pk).processed_records == checkpoint  # lease still held
    expire_lease(import_file)
    assert reap_expired_leases() == [import_file.pk]
    import_file_process(import_file_id=import_file.pk)
    assert_exact(import_file, owner, expected)
    assert import_file.attempts == 2


@pytest.mark.django_db
def test_the_lease_of_a_dead_local_process_is_taken_at_once(owner, lead_csv):
    path, expected = lead_csv(300)
    import_file = create(owner, path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ImportFile.objects.filter(pk=import_file.pk).update(
        status=Status.PROCESSING,
        lease_owner=f"{runner.socket.gethostname()}:{dead.pid}:gone",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    assert reap_expired_leases() == [import_file.pk]
    import_file_process(import_file_id=import_file.pk)
    assert_exact(import_file, owner, expected)


@pytest.mark.django_db
def test_an_import_that_keeps_dying_fails(owner, lead_csv, settings):
    path, _ = lead_csv(10)
    import_file = create(owner, path)
    ImportFile.objects.filter(pk=import_file.pk).update(
        status=Status.PROCESSING, lease_owner="otherhost:1:x", attempts=settings.IMPORT_MAX_ATTEMPTS
    )
    expire_lease(import_file)
    assert reap_expired_leases() == []
    import_file.refresh_from_db()
    assert import_file.status == Status.FAILED and "stopped making progress" in import_file.error_message


@pytest.mark.django_db
def test_stale_pending_imports_are_queued_again(owner, lead_csv, settings):
    path, _ = lead_csv(10)
    import_file = create(owner, path)
    assert reap_expired_leases() == []
    ImportFile.objects.filter(pk=import_file.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert reap_expired_leases() == [import_file.pk]
    assert reap_expired_leases() == []  # not again at every tick


@pytest.mark.django_db
def test_cancel_stops_at_the_next_chunk_and_retry_starts_again(owner, lead_csv):
    path, expected = lead_csv(1000)
    import_file = create(owner, path)

    def cancel_after_a_chunk_with_failed_rows(current):
        if current.failed_records:  # chunks are 5% of the file: the first may have none
            import_file_cancel(import_file=current)

    result = import_file_process(import_file_id=import_file.pk, progress=cancel_after_a_chunk_with_failed_rows)
    assert result.status == Status.CANCELLED and 0 < result.processed_records < 1000 and result.finished_at
    imported_first = Lead.objects.count()
    assert 0 < imported_first < expected.imported
    with result.error_file.open("rb") as handle:  # the committed chunks' failed rows are kept
        assert len(handle.read().decode("utf-8-sig").splitlines()) == 1 + result.failed_records

    retried = import_file_retry(import_file=result)
    assert (retried.status, retried.processed_records, retried.total_records, retried.error_file.name) == (
        Status.PENDING,
        0,
        0,
        "",
    )
    final = import_file_process(import_file_id=import_file.pk)
    assert final.status == Status.COMPLETED
    assert Lead.objects.count() == expected.imported
    assert final.failed_records == expected.failed + imported_first  # rows it already imported are duplicates now


@pytest.mark.django_db
def test_unreadable_file_fails_with_a_message(owner, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("email\na@example.com\n")
    import_file = create(owner, path)
    with import_file.original_file.storage.open(import_file.original_file.name, "wb") as handle:
        handle.write(b"\xff\xfe\x00garbage")
    result = import_file_process(import_file_id=import_file.pk)
    assert result.status == Status.FAILED and result.error_message and result.finished_at
    assert result.lease_owner == ""
