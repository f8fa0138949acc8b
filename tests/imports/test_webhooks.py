"""Webhooks (endpoints 63-66) against a real receiver on loopback: the signature checked as a receiver
would, retries and their schedule, the timeout, no redirects, and the SSRF refusals at save and at
delivery. Tasks run here from their real broker messages (the test workers leave the queue alone)."""

import json
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from prometheus_client.parser import text_string_to_metric_families

from imports.models import ImportFile, Webhook, WebhookDelivery
from imports.services import import_file_create, import_file_process
from imports.tasks import webhook_retry_due  # registers the tasks the broker messages name
from imports.webhooks import services
from imports.webhooks.destinations import Refused, resolve
from tests.conftest import _drain_email_tasks
from tests.factories import UserAccessFactory, access
from tests.imports.receivers import Receiver, make_test_ca, start, verify

Status = WebhookDelivery.Status
CSV = b"Email,Phone\nana@example.com,612000001\nnot-an-email,612000002\n"


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """`run_tasks()`: run the tasks on the `webhooks` queue here, and the tasks they queue on commit, until
    none is left; returns how many ran. Messages of earlier tests are dropped first."""
    with django_capture_on_commit_callbacks(execute=False):
        _drain_email_tasks("webhooks")

    def run() -> int:
        total = 0
        while True:
            with django_capture_on_commit_callbacks(execute=True):
                ran = _drain_email_tasks("webhooks")
            if not ran:
                return total
            total += ran

    return run


@pytest.fixture
def receiver():
    servers = []

    def make(**kwargs) -> Receiver:
        tls = kwargs.pop("tls", None)
        rec = Receiver(**kwargs)
        servers.append(start(rec, tls=tls))
        return rec

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def allow_private(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    return settings


def create_webhook(client, company, url, events=("import.completed", "import.failed"), **extra):
    body = {"url": url, "events": list(events), **extra}
    return client.post(f"/api/v1/companies/{company.id}/webhooks", body, format="json")


def finished_import(owner, django_capture_on_commit_callbacks, content=CSV, *, break_file=False) -> ImportFile:
    """An import processed here; its finish queues `imports.import_finished` on commit (the runner)."""
    upload = SimpleUploadedFile("leads.csv", content)
    created = import_file_create(
        user=owner, company=owner.company, file=upload, name="leads.csv", options={}, enqueue=False
    )
    if break_file:  # the stored original is gone: the run fails
        created.original_file.storage.delete(created.original_file.name)
    with django_capture_on_commit_callbacks(execute=True):
        return import_file_process(import_file_id=created.pk)


@pytest.fixture
def count(client, settings):
    """`count(outcome)`: the webhook delivery counter as /metrics shows it (every process's samples)."""
    settings.METRICS_TOKEN = "metrics-token-for-tests"

    def read(outcome: str) -> float:
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-tests")
        assert response.status_code == 200
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                if sample.name == "leadsy_webhook_deliveries_total" and sample.labels == {"outcome": outcome}:
                    return sample.value
        return 0.0

    return read


# --- 63: create, and the destination checked when saved -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",  # plain http
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://100.64.0.1/hook",  # shared address space (carrier NAT)
        "https://localhost/hook",  # a name resolving to 127.0.0.1
        "ftp://93.184.215.14/hook",
        "not a url",
        "https://user:pass@93.184.215.14/hook",
        "https://name.invalid/hook",  # does not resolve
    ],
)
def test_create_refuses_destinations_that_are_not_public_https(client_for, owner, url):
    response = create_webhook(client_for(owner), owner.company, url)

    assert response.status_code == 422, response.content
    assert list(response.json()["errors"]) == ["url"]
    assert not Webhook.objects.exists()


@pytest.mark.django_db
def test_a_name_that_does_not_resolve_in_time_is_refused_while_its_lookup_still_hangs(
    client_for, owner, settings, monkeypatch
):
    """A receiver's name served by a DNS server that never answers: the request answers 422 after
    WEBHOOK_RESOLVE_SECONDS, not after the resolver's own timeouts. The system resolver is held here
    (a lookup that returns only when the test lets it), as such a server would hold it."""
    import socket
    import threading

    settings.WEBHOOK_RESOLVE_SECONDS = 0.2
    released, real = threading.Event(), socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host == "slow-dns.example.com":
            released.wait(30)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    try:
        response = create_webhook(client_for(owner), owner.company, "https://slow-dns.example.com/hook")
        still_hanging = not released.is_set()
    finally:
        released.set()

    assert still_hanging and response.status_code == 422, response.content
    assert response.json()["errors"]["url"] == ["The host slow-dns.example.com could not be resolved within 0.2 s."]
    assert not Webhook.objects.exists()


def _resolve_in_child(url, queue):
    try:
        queue.put(resolve(url).address)
    except Refused as error:
        queue.put(str(error))


def test_a_forked_worker_resolves_names_after_its_parent_did(settings):
    """Celery's pool and gunicorn fork their workers: a child must not wait on the parent's lookup threads."""
    import multiprocessing

    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    assert resolve("http://localhost/").address in ("127.0.0.1", "::1")  # the parent's pool has a thread
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_resolve_in_child, args=("http://localhost/", queue))
    child.start()
    child.join(30)
    assert queue.get(timeout=5) in ("127.0.0.1", "::1")


@pytest.mark.django_db
def test_create_shows_a_generated_secret_once(client_for, owner):
    client = client_for(owner)
    response = create_webhook(client, owner.company, "https://93.184.215.14/leadsy", events=["import.failed"])

    assert response.status_code == 201, response.content
    webhook = response.json()["webhook"]
    assert webhook["secret"].startswith("whsec_") and len(webhook["secret"]) > 40
    assert webhook["events"] == ["import.failed"] and webhook["is_active"] is True
    assert Webhook.objects.get().secret == webhook["secret"]
    listed = client.get(f"/api/v1/companies/{owner.company.id}/webhooks").json()
    assert [item["id"] for item in listed["webhooks"]] == [webhook["id"]] and listed["meta"]["total_count"] == 1
    assert "secret" not in listed["webhooks"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://93.184.215.14/", "events": []},
        {"url": "https://93.184.215.14/", "events": ["lead.created"]},
        {"url": "https://93.184.215.14/", "events": ["import.failed"], "secret": "short"},
        {"events": ["import.failed"]},
    ],
)
def test_create_refuses_bad_bodies(client_for, owner, body):
    response = client_for(owner).post(f"/api/v1/companies/{owner.company.id}/webhooks", body, format="json")

    assert response.status_code == 422, response.content
    assert not Webhook.objects.exists()


# --- delivery after an import: signed, the import as the API shows it, the importer e-mailed -------


@pytest.mark.django_db
def test_finished_import_is_delivered_signed_and_emailed(
    client_for, owner, allow_private, receiver, run_tasks, sent_mail, django_capture_on_commit_callbacks, settings
):
    settings.API_BASE_URL = "https://api.leadsy.example/"
    rec = receiver()
    client = client_for(owner)
    secret = "a-receiver-chosen-secret-1234"
    created = create_webhook(client, owner.company, f"http://127.0.0.1:{rec.port}/hooks/leadsy?src=1", secret=secret)
    assert created.status_code == 201 and created.json()["webhook"]["secret"] == secret
    only_failed = create_webhook(client, owner.company, f"http://127.0.0.1:{rec.port}/failed", events=["import.failed"])
    assert only_failed.status_code == 201

    import_file = finished_import(owner, django_capture_on_commit_callbacks)
    assert import_file.status == ImportFile.Status.COMPLETED
    assert rec.requests == []  # nothing is sent by the import itself
    assert run_tasks() == 2  # imports.import_finished, then one imports.webhook_deliver

    (received,) = rec.requests
    assert received.path == "/hooks/leadsy?src=1"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Host"] == f"127.0.0.1:{rec.port}"
    assert received.headers["Leadsy-Event"] == "import.completed"
    verify(secret, received)
    body = json.loads(received.body)
    delivery = WebhookDelivery.objects.get()
    assert received.headers["Leadsy-Delivery"] == str(delivery.id) and body["id"] == delivery.id
    assert body["event"] == "import.completed" and body["created_at"].endswith("Z")
    api = client.get(f"/api/v1/import/{import_file.import_code}").json()["import_file"]
    sent = body["data"]["import_file"]
    assert sent.keys() == api.keys()
    for key, value in api.items():  # the same object; file links on API_BASE_URL (a worker knows no host)
        if key in ("error_file", "original_file"):
            assert sent[key] == value.replace("http://testserver/", "https://api.leadsy.example/")
        else:
            assert sent[key] == value, key
    assert (sent["total_records"], sent["failed_records"]) == (2, 1)

    assert (delivery.status, delivery.attempts, delivery.response_status) == (Status.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None
    deliveries = client.get(f"/api/v1/webhooks/{created.json()['webhook']['id']}/deliveries").json()["deliveries"]
    assert deliveries[0]["status"] == "succeeded" and deliveries[0]["attempts"] == 1

    (email,) = sent_mail()
    assert email.to == [owner.email] and "is complete" in email.subject
    link = f"http://localhost:3000/imports/{import_file.import_code}"
    assert "Imported: 1" in email.body and "Failed: 1" in email.body and "Rows in the file: 2" in email.body
    assert link in email.body and f"{link}/error_file" in email.body
    html = email.alternatives[0][0]
    assert f'href="{link}/error_file"' in html and "<td>1</td>" in html

    # Delivered once: the task redelivered by the broker adds nothing, and emails nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.import_finished(import_file_id=import_file.pk) == []
    assert len(sent_mail()) == 1


@pytest.mark.django_db
def test_without_api_base_url_a_webhook_s_file_links_are_paths(owner, settings, django_capture_on_commit_callbacks):
    settings.API_BASE_URL = ""
    import_file = finished_import(owner, django_capture_on_commit_callbacks)
    data = services._import_data(import_file)
    assert data["original_file"] == f"/api/v1/import/{import_file.import_code}/original_file"


@pytest.mark.django_db
def test_an_import_retried_and_finished_again_emails_its_importer_again(
    owner, run_tasks, sent_mail, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    import_file = finished_import(owner, django_capture_on_commit_callbacks)
    run_tasks()
    assert len(sent_mail()) == 1
    # As a retry that completed again leaves it: a later finish.
    ImportFile.objects.filter(pk=import_file.pk).update(finished_at=timezone.now() + timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.import_finished(import_file_id=import_file.pk)
    assert len(sent_mail()) == 2


@pytest.mark.django_db
def test_failed_import_sends_import_failed(
    client_for, owner, allow_private, receiver, run_tasks, sent_mail, django_capture_on_commit_callbacks
):
    rec = receiver()
    create_webhook(client_for(owner), owner.company, f"http://127.0.0.1:{rec.port}/", events=["import.completed"])
    failing = create_webhook(
        client_for(owner), owner.company, f"http://127.0.0.1:{rec.port}/f", events=["import.failed"]
    )

    import_file = finished_import(owner, django_capture_on_commit_callbacks, break_file=True)
    assert import_file.status == ImportFile.Status.FAILED
    run_tasks()

    (received,) = rec.requests
    assert received.path == "/f" and received.headers["Leadsy-Event"] == "import.failed"
    verify(Webhook.objects.get(pk=failing.json()["webhook"]["id"]).secret, received)
    assert json.loads(received.body)["data"]["import_file"]["status_name"] == "failed"
    (email,) = sent_mail()
    assert "failed" in email.subject and import_file.error_message in email.body


@pytest.mark.django_db
def test_https_delivery_connects_to_the_checked_address_with_the_name_for_tls(
    owner, allow_private, receiver, run_tasks, tmp_path, django_capture_on_commit_callbacks
):
    ca_file, tls = make_test_ca(tmp_path)
    allow_private.WEBHOOK_CA_FILE = ca_file
    rec = receiver(tls=tls)
    webhook = services.webhook_create(
        company=owner.company, user=owner, url=f"https://localhost:{rec.port}/tls", events=["import.failed"]
    )

    with django_capture_on_commit_callbacks(execute=True):  # queues imports.webhook_deliver
        delivery = services.webhook_test(webhook=webhook)
    assert run_tasks() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (Status.SUCCEEDED, 200), delivery.last_error
    (received,) = rec.requests
    assert received.headers["Host"] == f"localhost:{rec.port}" and received.headers["Leadsy-Event"] == "webhook.test"
    verify(webhook.secret, received)


@pytest.mark.django_db
def test_a_certificate_of_another_ca_is_refused(owner, allow_private, receiver, tmp_path):
    _, tls = make_test_ca(tmp_path)  # the system's CAs do not know this one
    rec = receiver(tls=tls)
    webhook = services.webhook_create(
        company=owner.company, user=owner, url=f"https://localhost:{rec.port}/", events=["import.failed"]
    )

    delivery = services.delivery_attempt(delivery_id=services.webhook_test(webhook=webhook).pk)

    assert delivery.status == Status.PENDING and delivery.response_status is None
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error and rec.requests == []


# --- 64-66 through the API ------------------------------------------------------------------------


@pytest.mark.django_db
def test_test_event_delete_and_deliveries(client_for, owner, allow_private, receiver, run_tasks):
    rec = receiver()
    client = client_for(owner)
    webhook_id = create_webhook(client, owner.company, f"http://127.0.0.1:{rec.port}/t").json()["webhook"]["id"]

    response = client.post(f"/api/v1/webhooks/{webhook_id}/test")
    assert response.status_code == 202
    delivery = response.json()["delivery"]
    assert (delivery["event"], delivery["status"], delivery["attempts"]) == ("webhook.test", "pending", 0)
    assert rec.requests == []  # sent by a worker, not by the request
    # In the non-transactional test the on-commit callback did not run: the beat task finds the due delivery.
    services_due = services.deliveries_due()
    assert services_due == [delivery["id"]]
    assert webhook_retry_due() == [delivery["id"]]
    run_tasks()
    (received,) = rec.requests
    body = json.loads(received.body)
    assert body["event"] == "webhook.test" and body["data"] == {"import_file": None}
    listed = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries").json()
    assert listed["deliveries"][0]["status"] == "succeeded" and listed["deliveries"][0]["response_status"] == 200

    assert client.delete(f"/api/v1/webhooks/{webhook_id}").json() == {"message": "The webhook was deleted."}
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    assert client.post(f"/api/v1/webhooks/{webhook_id}/test").status_code == 404


# --- retries, the timeout, redirects ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_500_is_retried_with_exponential_backoff_until_out_of_attempts(
    count, owner, allow_private, receiver, settings
):
    rec = receiver(statuses=[500])
    webhook = services.webhook_create(
        company=owner.company, user=owner, url=f"http://127.0.0.1:{rec.port}/", events=["import.failed"]
    )
    delivery = services.webhook_test(webhook=webhook)
    retried, failed = count("retried"), count("failed")

    waits = []
    now = delivery.next_attempt_at
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now - timedelta(seconds=1)) is None  # not due
    while delivery.status == Status.PENDING:
        delivery = services.delivery_attempt(delivery_id=delivery.pk, now=now)
        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) is None  # claimed: not sent twice
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - now).total_seconds())
            now = delivery.next_attempt_at

    assert settings.WEBHOOK_MAX_ATTEMPTS == 7
    assert waits == [60, 240, 960, 3840, 15360, 61440]  # 6 retries, 7 tries over 22.75 hours
    assert sum(waits) / 3600 == pytest.approx(22.75)
    assert (delivery.status, delivery.attempts, delivery.response_status) == (Status.FAILED, 7, 500)
    assert len(rec.requests) == 7
    assert len({r.headers["Leadsy-Delivery"] for r in rec.requests}) == 1
    assert len({r.body for r in rec.requests}) == 1  # the same bytes at every attempt
    assert (count("retried") - retried, count("failed") - failed) == (6, 1)
    webhook.refresh_from_db()
    assert webhook.is_active and webhook.failing_since is not None  # a day of failures: not disabled yet


@pytest.mark.django_db
def test_a_success_after_failures_clears_the_streak(count, owner, allow_private, receiver):
    rec = receiver(statuses=[503, 200])
    webhook = services.webhook_create(
        company=owner.company, user=owner, url=f"http://127.0.0.1:{rec.port}/", events=["import.failed"]
    )
    delivery = services.webhook_test(webhook=webhook)
    succeeded = count("succeeded")

    first = services.delivery_attempt(delivery_id=delivery.pk)
    assert (first.status, first.response_status) == (Status.PENDING, 503)
    second = services.delivery_attempt(delivery_id=delivery.pk, now=first.next_attempt_at)

    assert (second.status, second.attempts, second.response_status) == (Status.SUCCEEDED, 2, 200)
    assert count("succeeded") - succeeded == 1
    webhook.refresh_from_db()
    assert webhook.failing_since is None


@pytest.mark.django_db
def test_failing_for_three_days_disables_the_webhook_and_emails_the_owners(
    owner, allow_private, receiver, sent_mail, django_capture_on_commit_callbacks
):
    UserAccessFactory(company=owner.company, access=access("admin"))  # an admin is not e-mailed
    rec = receiver(statuses=[500])
    webhook = services.webhook_create(
        company=owner.company, user=owner, url=f"http://127.0.0.1:{rec.port}/", events=["import.failed"]
    )
    waiting = services.webhook_test(webhook=webhook)
    WebhookDelivery.objects.filter(pk=waiting.pk).update(event="import.failed")  # an import event, still pending
    delivery = services.webhook_test(webhook=webhook)
    now = delivery.next_attempt_at
    Webhook.objects.filter(pk=webhook.pk).update(failing_since=now - timedelta(days=3, seconds=-1))

    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_attempt(delivery_id=delivery.pk, now=now)
    webhook.refresh_from_db()
    assert webhook.is_active  # 3 days less a second

    later = now + timedelta(seconds=120)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_attempt(delivery_id=delivery.pk, now=later)

    webhook.refresh_from_db()
    assert not webhook.is_active and webhook.disabled_at == later
    waiting.refresh_from_db()
    assert waiting.status == Status.FAILED and waiting.last_error == "The webhook was disabled."
    (email,) = sent_mail()
    assert email.to == [owner.email] and webhook.url in email.body and "3 days" in email.body
    assert "disabled" in email.alternatives[0][0]
    # Disabled: a finished import delivers nothing to it.
    assert not Webhook.objects.filter(company=owner.company, is_active=True).exists()


@pytest.mark.django_db
def test_a_hanging_receiver_is_cut_at_the_timeout(owner, allow_private, receiver, settings):
    assert settings.WEBHOOK_TIMEOUT_SECONDS == 10  # the default
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    hanging, dripping = receiver(hang=5), receiver(drip=0.2)  # silent; or one byte every 0.2 s, for ever
    for rec in (hanging, dripping):
        webhook = services.webhook_create(
            company=owner.company, user=owner, url=f"http://127.0.0.1:{rec.port}/", events=["import.failed"]
        )
        delivery = services.webhook_test(webhook=webhook)

        started = time.monotonic()
        delivery = services.delivery_attempt(delivery_id=delivery.pk)
        elapsed = time.monotonic() - started

        assert 0.9 < elapsed < 2, elapsed
        assert len(rec.requests) == 1
        assert (delivery.status, delivery.response_status) == (Status.PENDING, None)
        assert delivery.last_error == "No answer within 1 s." and delivery.next_attempt_at is not None


@pytest.mark.django_db
def test_redirects_are_not_followed(owner, allow_private, receiver):
    target = receiver()
    rec = receiver(statuses=[302], location=f"http://127.0.0.1:{target.port}/elsewhere")
    webhook = services.webhook_create(
        company=owner.company, user=owner, url=f"http://127.0.0.1:{rec.port}/", events=["import.failed"]
    )

    delivery = services.delivery_attempt(delivery_id=services.webhook_test(webhook=webhook).pk)

    assert (delivery.status, delivery.response_status) == (Status.PENDING, 302)
    assert len(rec.requests) == 1 and target.requests == [] and target.connections == 0


# --- SSRF at delivery: the destination checked again, before any connection -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_delivery_refuses_a_destination_no_longer_allowed(count, owner, settings, receiver, scheme):
    rec = receiver()
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    # Saved while allowed; `localhost` stands for a name that resolves to 127.0.0.1 only later.
    url = f"{scheme}://localhost:{rec.port}/hook"
    webhook = services.webhook_create(company=owner.company, user=owner, url=url, events=["import.failed"])
    delivery = services.webhook_test(webhook=webhook)
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    refused = count("refused")

    delivery = services.delivery_attempt(delivery_id=delivery.pk)

    assert (delivery.status, delivery.attempts, delivery.response_status) == (Status.FAILED, 1, None)
    assert delivery.last_error.startswith("Refused: ")
    assert (
        ("https://" in delivery.last_error) if scheme == "http" else ("127.0.0.1 is a loopback" in delivery.last_error)
    )
    assert rec.connections == 0 and rec.requests == []
    assert count("refused") - refused == 1


def test_resolution_checks_every_address_and_connects_to_a_checked_one(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    destination = resolve("https://93.184.215.14:8443/path?q=1")
    assert (destination.address, destination.host, destination.port, destination.path) == (
        "93.184.215.14", "93.184.215.14", 8443, "/path?q=1"
    )  # fmt: skip
    with pytest.raises(Refused, match="loopback"):
        resolve("https://localhost/")  # resolves to 127.0.0.1 and ::1: one bad address refuses the name
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    assert resolve("http://localhost:8080/").address in ("127.0.0.1", "::1")
