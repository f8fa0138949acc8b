"""Faults under real worker processes: Redis restarted, PostgreSQL connections dropped and the server
restarted, a poison file, a cancel mid-import, stuck imports failed by the periodic task (reliability
plan R22-R26). File sizes: FAULT_ROWS (tests/imports/conftest.py; 200k in `make faults`).

Each test runs its own Celery worker (with its beat embedded, as `make run` does) on a private
redis-server, so that restarting the broker or leaving messages behind touches nobody else, and the
reaper (task `imports.reap_expired_leases`) runs on its real schedule, shortened through the
worker's environment. The whole-worker SIGKILL (R20) and pool-child kill are in test_worker.py.

PostgreSQL and Redis only: SQLite has no connections to terminate and the filesystem broker no
server to restart. They run in the CI's PostgreSQL pass.
"""

import os
import shutil
import signal
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Now
from kombu import Connection

from billing.services import membership_attach
from campaigns.models import Lead
from imports.models import ImportFile
from imports.services import import_file_cancel, import_file_create
from imports.tasks import process_import
from tests.conftest import wait_for
from tests.factories import UserAccessFactory, access, membership
from tests.imports.conftest import FAULT_ROWS, scaled
from tests.imports.test_worker import _started, assert_exact, finished, no_duplicate_leads, past
from tests.support.faults import LocalPostgres, RedisServer, terminate_backends

Status = ImportFile.Status

NOT_POSTGRES = connection.vendor != "postgresql"
pytestmark = [
    pytest.mark.skipif(NOT_POSTGRES, reason="fault tests need PostgreSQL (set DATABASE_URL): run in CI's PG pass"),
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis"),
        reason="fault tests need a Redis broker (set CELERY_BROKER_URL): run in CI's PostgreSQL pass",
    ),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.faults,
]

# Small chunks: a 50k-row file (FAULT_ROWS) is 100 commits, so a fault lands mid-import; short lease and reaper
# period: recovery in seconds instead of the production minute.
WORKER_ENV = {
    "IMPORT_CHUNK_SIZE": "500",
    "IMPORT_LEASE_SECONDS": "3",
    "IMPORT_REAPER_INTERVAL_SECONDS": "1",
    "IMPORT_PENDING_REQUEUE_SECONDS": "5",
}


@pytest.fixture
def broker():
    with RedisServer() as server:
        yield server


@pytest.fixture
def start(worker_factory, broker, tmp_path, worker_storage):
    """`start(**env)`: a worker with its beat, on the private broker."""

    def make(**env):
        schedule = tmp_path / f"beat-{len(list(tmp_path.glob('beat-*')))}"
        return worker_factory(
            broker_url=broker.url(0),
            env={**WORKER_ENV, **env},
            extra_args=("--beat", "--schedule", str(schedule)),
        )

    return make


@pytest.fixture
def app_publishes_to(broker):
    """This process's Celery app (the API's side) publishes to the private broker during the test."""
    from leadsy.celery import app

    saved = app.conf.broker_write_url, app.amqp._producer_pool
    app.conf.broker_write_url = broker.url(0)
    app.amqp._producer_pool = None  # built again, for the new URL, at the next publish
    yield
    app.conf.broker_write_url, app.amqp._producer_pool = saved


def company_owner():
    """The owner of a new company on the Business plan: each import of a test in its own company, so
    that the generated files (the same emails and phones for the same row numbers) do not overlap."""
    user_access = UserAccessFactory(access=access("owner"), primary=True)
    membership_attach(company=user_access.company, membership=membership("Business"))
    user = user_access.user
    user.company = user_access.company
    return user


def create(owner, path) -> ImportFile:
    return import_file_create(
        user=owner, company=owner.company, file=str(path), name=path.name, options={}, enqueue=False
    )


def enqueue(broker, *imports) -> None:
    """Queue the imports on the private broker (the test process's own app points at the shared one)."""
    with Connection(broker.url(0)) as conn:
        for import_file in imports:
            process_import.apply_async(args=[import_file.pk], connection=conn)


def completed(import_file_id):
    import_file = finished(import_file_id)
    if import_file is not None:
        assert import_file.status == Status.COMPLETED, import_file.error_message
    return import_file


def test_redis_restarted_while_imports_are_queued_and_processing_all_complete(broker, start, lead_csv):
    """R23: one import processing and three queued (some prefetched by the worker) when Redis stops;
    after it is back, the worker consumes again without a restart and all four complete exactly."""
    worker = start()
    jobs = []
    for index in range(4):
        owner = company_owner()
        path, expected = lead_csv(FAULT_ROWS // 2, name=f"leads-{index}.csv")
        jobs.append((create(owner, path), owner, expected))
    enqueue(broker, *(import_file for import_file, _, _ in jobs))
    wait_for(lambda: _started(jobs[0][0].pk), timeout=scaled(60), interval=0.05)

    broker.restart(down_for=3)

    for import_file, owner, expected in jobs:
        done = wait_for(lambda pk=import_file.pk: completed(pk), timeout=scaled(150))
        assert_exact(done, owner.company, expected)
    assert worker.poll() is None, worker.log_text[-3000:]


def test_upload_while_redis_is_down_is_accepted_then_picked_up(
    broker, start, app_publishes_to, owner, client_for, lead_csv
):
    """R23, the other half: an upload while the broker is down still answers 202 `pending` (the
    file and the import row are committed; the lost message is only logged), and once Redis is back
    the reaper queues the pending import, which completes exactly."""
    worker = start()
    broker.stop()
    path, expected = lead_csv(2_000)
    with open(path, "rb") as handle:
        response = client_for(owner).post(
            "/api/v1/import", {"company_id": owner.company.id, "file": handle}, format="multipart"
        )
    assert response.status_code == 202, response.content
    body = response.json()["import_file"]
    assert body["status_name"] == "pending"

    broker.start()
    import_file = ImportFile.objects.get(import_code=body["import_code"])
    done = wait_for(lambda: completed(import_file.pk), timeout=90)
    assert_exact(done, owner.company, expected)
    assert f"Re-queued imports [{import_file.pk}]" in worker.log_text


def test_postgres_connection_terminated_mid_chunk_then_the_worker_serves_another_import(broker, start, owner, lead_csv):
    """R22: the worker's database connections are terminated mid-import, twice: at ~30% (first run) and
    at ~60% (in the run that resumes it). The chunk in flight rolls back, the reaper queues the import
    again once its lease expires, and it resumes at its checkpoint with exact counts; the same worker
    then serves a second import (no `connection already closed` loop)."""
    worker = start()
    path, expected = lead_csv(FAULT_ROWS)
    import_file = create(owner, path)
    enqueue(broker, import_file)
    wait_for(lambda: past(import_file.pk, expected.rows * 3 // 10), timeout=scaled(60), interval=0.05)
    assert terminate_backends(application_name=worker.application_name) >= 1
    # Again in the second run, once it has committed past ~60%.
    wait_for(
        lambda: ImportFile.objects.filter(
            pk=import_file.pk, attempts=2, status=Status.PROCESSING, processed_records__gte=expected.rows * 6 // 10
        ).exists(),
        timeout=scaled(60),
        interval=0.05,
    )
    assert terminate_backends(application_name=worker.application_name) >= 1

    done = wait_for(lambda: completed(import_file.pk), timeout=scaled(120))
    # Each fault cost a run (more only if a busy machine let a lease lapse between two chunks).
    assert done.attempts >= 3, "a terminated run did not fail: a fault missed the import"
    assert_exact(done, owner.company, expected)
    assert "database error, left for the reaper" in worker.log_text
    assert_serves_another_import(broker, worker, lead_csv)


def test_postgres_restarted_mid_import_then_the_worker_serves_another_import(broker, start, owner, lead_csv):
    """R22, the server restart: PostgreSQL restarted in fast mode (`pg_ctlcluster … restart -m fast`:
    every session ended) at ~50% of an import. The chunk in flight rolls back, the reaper queues the
    import again once its lease expires, and it completes with exact counts and no duplicates; the
    same worker then serves a second import.

    Runs in CI's PostgreSQL pass (the restart costs a few seconds, the import is FAULT_ROWS rows like
    the others) and in `make faults`. It restarts the whole server, so it is skipped, with the reason,
    when that server is not on this host, without root, or while databases other than the test's have
    sessions (another run or a benchmark on the same server would be cut off). The server is up again
    when the test ends, whatever happens."""
    server = LocalPostgres()
    refusal = server.refusal()
    if refusal:
        pytest.skip(refusal)
    worker = start()
    path, expected = lead_csv(FAULT_ROWS)
    import_file = create(owner, path)
    enqueue(broker, import_file)
    wait_for(lambda: past(import_file.pk, expected.rows // 2), timeout=scaled(60), interval=0.05)
    refusal = server.refusal()  # again: someone may have connected since
    if refusal:
        pytest.skip(refusal)
    try:
        server.restart()
        connection.close()  # this process's session was ended too: reconnect at the next query
        at_restart = ImportFile.objects.get(pk=import_file.pk)
        assert at_restart.status == Status.PROCESSING
        assert expected.rows // 2 <= at_restart.processed_records < expected.rows

        done = wait_for(lambda: completed(import_file.pk), timeout=scaled(120))
        assert done.attempts >= 2, "the restart did not stop the run: it missed the import"
        assert_exact(done, owner.company, expected)
        assert "database error, left for the reaper" in worker.log_text
        assert_serves_another_import(broker, worker, lead_csv)
    finally:
        server.ensure_running()
        connection.close()


def assert_serves_another_import(broker, worker, lead_csv) -> None:
    """The same worker process completes one more import, exactly."""
    second_owner = company_owner()
    second_path, second_expected = lead_csv(5_000, name="second.csv")
    second = create(second_owner, second_path)
    enqueue(broker, second)
    second_done = wait_for(lambda: completed(second.pk), timeout=60)
    assert_exact(second_done, second_owner.company, second_expected)
    assert worker.poll() is None, worker.log_text[-3000:]


def test_poison_file_fails_with_a_message_and_the_worker_keeps_serving(broker, start, owner, lead_csv):
    """R24: a file that passed upload inspection is corrupted in storage (bytes that are not UTF-8 past
    the inspected start): its import ends `failed` with a message, after one attempt, and the next
    import queued on the same single-process worker completes."""
    path, _ = lead_csv(5_000, name="poison.csv")
    poison = create(owner, path)
    stored = poison.original_file.path
    with open(stored, "rb") as handle:
        content = handle.read()
    middle = content.index(b"\n", len(content) // 2) + 1
    with open(stored, "wb") as handle:
        handle.write(content[:middle] + b"Ana,\xff\xfe\xfa,bad@example.com,612999999,,,,\n" + content[middle:])

    other_owner = company_owner()
    good_path, good_expected = lead_csv(5_000, name="good.csv")
    good = create(other_owner, good_path)
    worker = start()
    enqueue(broker, poison, good)

    failed = wait_for(lambda: finished(poison.pk), timeout=60)
    assert failed.status == Status.FAILED
    assert failed.error_message and (
        "could not be read" in failed.error_message or "not valid" in failed.error_message
    ), failed.error_message
    assert failed.attempts == 1
    assert_exact(wait_for(lambda: completed(good.pk), timeout=60), other_owner.company, good_expected)
    # Not redelivered: a failed import is final until someone retries it.
    assert ImportFile.objects.get(pk=poison.pk).attempts == 1
    assert worker.poll() is None


def test_cancel_mid_import_stops_within_one_chunk(broker, start, owner, lead_csv):
    """R26: cancel at ~50% of the import. The cancel waits for the chunk being committed (it
    locks the import row), and the runner's next chunk commit is refused: nothing is written after
    the cancel returns, and the leads and the partial error file agree with the counters."""
    worker = start()
    path, expected = lead_csv(FAULT_ROWS)
    import_file = create(owner, path)
    enqueue(broker, import_file)
    wait_for(lambda: past(import_file.pk, expected.rows // 2), timeout=scaled(60), interval=0.05)

    cancelled = import_file_cancel(import_file=import_file)
    leads_at_cancel = Lead.objects.filter(company=owner.company).count()
    assert cancelled.status == Status.CANCELLED
    assert expected.rows // 2 <= cancelled.processed_records < expected.rows

    assert worker.wait_for_log(f"Import {import_file.import_code}: lease lost or import cancelled, stopping", 60)
    stopped = wait_for(lambda: ImportFile.objects.filter(pk=import_file.pk, error_file__gt="").first(), timeout=30)
    assert stopped.status == Status.CANCELLED
    assert stopped.processed_records == cancelled.processed_records
    assert Lead.objects.filter(company=owner.company).count() == leads_at_cancel
    assert leads_at_cancel == stopped.processed_records - stopped.failed_records
    assert no_duplicate_leads(owner.company)
    with stopped.error_file.open("rb") as handle:
        assert len(handle.read().decode("utf-8-sig").splitlines()) == 1 + stopped.failed_records


def test_stuck_imports_are_failed_or_queued_again_by_the_periodic_task(start, owner, lead_csv):
    """A runner vanished (another host: its pid cannot be checked) and its lease expired. The beat's
    reaper fails the import that has used up its attempts, with a message, and queues again the one
    that has not, which then resumes at its checkpoint and completes."""
    path, _ = lead_csv(5_000)
    exhausted = create(owner, path)
    other_owner = company_owner()
    other_path, other_expected = lead_csv(5_000, name="other.csv")
    resumable = create(other_owner, other_path)
    stale = {"status": Status.PROCESSING, "lease_owner": "gone-host:4242:0123456789ab"}
    ImportFile.objects.filter(pk=exhausted.pk).update(**stale, attempts=settings.IMPORT_MAX_ATTEMPTS)
    ImportFile.objects.filter(pk=resumable.pk).update(**stale, attempts=1)
    # Expired as of now, by the database's clock.
    ImportFile.objects.filter(pk__in=[exhausted.pk, resumable.pk]).update(lease_expires_at=Now())

    start(IMPORT_MAX_ATTEMPTS=str(settings.IMPORT_MAX_ATTEMPTS))

    failed = wait_for(lambda: finished(exhausted.pk), timeout=60)
    assert failed.status == Status.FAILED
    assert "stopped making progress" in failed.error_message
    assert Lead.objects.filter(company=owner.company).count() == 0
    done = wait_for(lambda: completed(resumable.pk), timeout=60)
    assert done.attempts >= 2
    assert_exact(done, other_owner.company, other_expected)


def test_an_import_whose_runner_keeps_dying_fails_after_the_attempt_limit(
    broker, worker_factory, worker_storage, owner, lead_csv
):
    """R24, the out-of-memory loop: a file that gets the pool child killed every time (here: SIGKILL
    of the lease holder, as the kernel's OOM killer would) is redelivered at once after each death
    (acks late, reject on worker lost), but not forever: once it has used up IMPORT_MAX_ATTEMPTS it
    ends `failed` with a message, and the worker serves the next import."""
    worker = worker_factory(broker_url=broker.url(0), env={**WORKER_ENV, "IMPORT_MAX_ATTEMPTS": "3"})
    path, _ = lead_csv(FAULT_ROWS)
    crashing = create(owner, path)
    enqueue(broker, crashing)
    for attempt in (1, 2, 3):
        running = wait_for(
            lambda n=attempt: (
                ImportFile.objects.filter(pk=crashing.pk, attempts=n, processed_records__gt=0)
                .exclude(lease_owner="")
                .first()
            ),
            timeout=scaled(60),
            interval=0.05,
        )
        os.kill(int(running.lease_owner.rsplit(":", 2)[1]), signal.SIGKILL)

    failed = wait_for(lambda: finished(crashing.pk), timeout=60)
    assert failed.status == Status.FAILED, (failed.status, failed.attempts)
    assert failed.attempts == 3
    assert "after 3 attempts" in failed.error_message
    leads = Lead.objects.filter(company=owner.company).count()
    assert leads == failed.processed_records - failed.failed_records
    assert no_duplicate_leads(owner.company)
    # The error file of the chunks it committed is assembled just after the status is set.
    failed = wait_for(lambda: ImportFile.objects.filter(pk=crashing.pk).exclude(error_file="").first(), timeout=30)
    with failed.error_file.open("rb") as handle:
        assert len(handle.read().decode("utf-8-sig").splitlines()) == 1 + failed.failed_records

    other_owner = company_owner()
    good_path, good_expected = lead_csv(2_000, name="good.csv")
    good = create(other_owner, good_path)
    enqueue(broker, good)
    assert_exact(wait_for(lambda: completed(good.pk), timeout=60), other_owner.company, good_expected)
    assert worker.poll() is None


def _idle_in_transaction(application_name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND state = 'idle in transaction'",
            [application_name],
        )
        return cursor.fetchone()[0] > 0


def test_a_runner_stopped_inside_its_chunk_transaction_does_not_block_cancel(broker, start, owner, lead_csv):
    """R25: a runner frozen (SIGSTOP) inside its chunk transaction, after writing leads. Cancelling must
    still answer promptly (5 s statement_timeout instead of hanging), and the frozen chunk, once the
    runner goes on, is rolled back.

    The chunk's last statement (the fenced counters update) locks the import row for the error part
    and the commit: a runner frozen in that short window holds the row until PostgreSQL ends its idle
    transaction (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS). Catching it there is not what this test is about,
    so it thaws the runner and tries again."""
    worker = start()
    path, _ = lead_csv(max(FAULT_ROWS, 50_000))  # long enough to catch the runner at the right moment
    import_file = create(owner, path)
    enqueue(broker, import_file)
    wait_for(lambda: _started(import_file.pk), timeout=scaled(60), interval=0.05)
    pid = int(ImportFile.objects.get(pk=import_file.pk).lease_owner.rsplit(":", 2)[1])
    try:
        for attempt in range(200):  # stop it until it is caught inside a chunk transaction
            os.kill(pid, signal.SIGSTOP)
            if wait_for_state(lambda: _idle_in_transaction(worker.application_name)) and not _row_locked(
                import_file.pk
            ):
                break
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.01 * (attempt % 7))
        else:
            pytest.fail("the runner was never stopped inside a transaction")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 5000")
        try:
            assert import_file_cancel(import_file=import_file).status == Status.CANCELLED
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")
        leads = Lead.objects.filter(import_file=import_file).count()
    finally:
        os.kill(pid, signal.SIGCONT)
    time.sleep(2)  # the thawed runner's chunk is refused at its fence and rolled back
    assert ImportFile.objects.get(pk=import_file.pk).status == Status.CANCELLED
    assert Lead.objects.filter(import_file=import_file).count() == leads
    assert no_duplicate_leads(owner.company)


def _row_locked(import_file_id: int) -> bool:
    with transaction.atomic():
        return not ImportFile.objects.select_for_update(skip_locked=True).filter(pk=import_file_id).exists()


def wait_for_state(predicate, checks: int = 5) -> bool:
    """A few quick looks (the stopped process's last statement may still be finishing)."""
    for _ in range(checks):
        if predicate():
            return True
        time.sleep(0.01)
    return False
