import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import CompanyFactory, UserAccessFactory, UserFactory, access
from tests.support.faults import start_worker

ROOT = Path(__file__).resolve().parent.parent
Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing

# With the filesystem broker, keep the test queue apart from a `make run` worker's.
if settings.CELERY_BROKER_URL.startswith("filesystem://"):
    TEST_BROKER_DIR = Path(settings.VAR_DIR) / f"test-broker-{os.getpid()}"
    os.environ["CELERY_BROKER_DIR"] = str(TEST_BROKER_DIR)
    settings.CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(TEST_BROKER_DIR),
        data_folder_out=str(TEST_BROKER_DIR),
        control_folder=str(TEST_BROKER_DIR / "control"),
    )
    TEST_BROKER_DIR.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Files go to a per-test folder; throttles start empty; passwords hash fast."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def token_for(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


@pytest.fixture
def client_for():
    """`client_for(user)`: an API client that sends the user's real JWT as `Bearer`."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def owner(db):
    """A user who owns a company (`owner.company`)."""
    membership = UserAccessFactory(access=access("owner"), primary=True)
    membership.user.company = membership.company
    return membership.user


@pytest.fixture
def company_member(db):
    """`company_member(company, level)`: a new user holding that access level in the company."""

    def make(company=None, level: str = "agent"):
        company = company or CompanyFactory()
        user = UserAccessFactory(company=company, access=access(level), primary=True).user
        user.company = company
        return user

    return make


# Test workers leave the `emails` queue to `sent_mail`, which runs those tasks in this process so that
# their emails land in Django's test outbox, the `webhooks` queue to the webhook tests, which run
# those tasks here too (tests/imports/test_webhooks.py), and the `search` queue to the search tests (an
# indexing task left running after an import test deadlocks with the next test's flush).
NO_EMAILS = ("--exclude-queues", "emails,webhooks,search")


def _drain_email_tasks(queue_name: str = "emails") -> int:
    """Run every task waiting on the broker's `emails` queue (or another) here, from its real message; return
    how many."""
    from kombu.simple import SimpleQueue

    from leadsy.celery import app

    ran = 0
    with app.connection_for_read() as connection:
        queue = SimpleQueue(connection, app.amqp.queues[queue_name])
        try:
            while True:
                try:
                    message = queue.get(block=False)
                except SimpleQueue.Empty:
                    return ran
                args, kwargs, _embed = message.decode()
                app.tasks[message.headers["task"]].apply(args=args, kwargs=kwargs, throw=True)
                message.ack()
                ran += 1
        finally:
            queue.close()


@pytest.fixture
def sent_mail(mailoutbox):
    """`sent_mail()`: run the queued email tasks (as a worker would, from the broker) and return the outbox.

    Emails leave through Celery after commit (leadsy/mail.py): run the on-commit callbacks first
    (`django_capture_on_commit_callbacks(execute=True)`, or a transactional test).
    """
    _drain_email_tasks()  # messages left by earlier tests are not this test's
    mailoutbox.clear()

    def run():
        _drain_email_tasks()
        return mailoutbox

    return run


def _database_url_for_worker() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker process on the test database and the configured broker.

    Tests that use it need `@pytest.mark.django_db(transaction=True)` so their data is committed
    and visible to the worker.
    """
    try:
        worker = start_worker(
            database_url=_database_url_for_worker(), broker_url=settings.CELERY_BROKER_URL, extra_args=NO_EMAILS
        )
    except RuntimeError as error:
        pytest.fail(str(error))
    yield worker
    worker.stop()


@pytest.fixture
def worker_factory(django_db_setup):
    """`worker_factory(broker_url=None, **kwargs)`: more real workers on the test database, for fault
    tests that kill or starve them; each is stopped (or already dead) after the test."""
    started = []

    def make(broker_url: str | None = None, **kwargs):
        kwargs["extra_args"] = (*NO_EMAILS, *kwargs.get("extra_args", ()))
        try:
            worker = start_worker(
                database_url=_database_url_for_worker(),
                broker_url=broker_url or settings.CELERY_BROKER_URL,
                **kwargs,
            )
        except RuntimeError as error:
            pytest.fail(str(error))
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.stop(timeout=5)


def wait_for(predicate, timeout: float = 30, interval: float = 0.2):
    """Poll until `predicate()` is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Condition not met within {timeout}s")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API server (moto's standalone server) on loopback; yields its endpoint URL."""
    import urllib.request

    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(urllib.request, endpoint), timeout=30)
    yield endpoint
    process.terminate()
    process.wait(10)


def _answers(urllib_request, endpoint) -> bool:
    try:
        urllib_request.urlopen(endpoint, timeout=1)
    except OSError as error:
        return not isinstance(error, ConnectionError) and "refused" not in str(error)
    return True


@pytest.fixture
def s3_storage(s3_server, settings):
    """Switch STORAGES to S3 on the moto server, in a fresh bucket; yields the boto3 client."""
    import boto3

    from leadsy.storage import s3_storages

    bucket = f"leadsy-test-{uuid.uuid4().hex[:12]}"
    credentials = {"access_key": "testing", "secret_key": "testing"}
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_bucket(Bucket=bucket)
    storages_config = s3_storages(bucket=bucket, endpoint_url=s3_server, region_name="us-east-1")
    for alias in ("default", "private"):
        storages_config[alias]["OPTIONS"].update(credentials)
    settings.STORAGES = {**storages_config, "staticfiles": settings.STORAGES["staticfiles"]}
    client.bucket = bucket
    return client
