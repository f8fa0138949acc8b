"""The Prometheus endpoint: protected by METRICS_TOKEN, and showing an import's metrics once a real worker ran it."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import wait_for
from tests.leadsy.conftest import csv_upload

TOKEN = "metrics-token-for-tests"
# Two good rows, one invalid email.
CSV = b"First Name,Email\nAna,ana@example.com\nLuis,luis@example.com\nBad,not-an-email\n"


def samples(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.mark.django_db
def test_not_served_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong", TOKEN, f"Basic {TOKEN}"])
def test_refused_without_the_bearer_token(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert "leadsy" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_after_an_import_the_endpoint_shows_its_metrics(client, settings, owner, client_for, worker_factory, own_queue):
    settings.METRICS_TOKEN = TOKEN
    worker_factory(extra_args=("-Q", own_queue))
    before = samples(client)

    api = client_for(owner)
    response = api.post("/api/v1/import", {"company_id": owner.company.id, "file": csv_upload(CSV)}, format="multipart")
    assert response.status_code == 202, response.json()
    code = response.json()["import_file"]["import_code"]
    wait_for(lambda: api.get(f"/api/v1/import/{code}").json()["import_file"]["status_name"] == "completed", 60)

    after = samples(client)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert after["leadsy_imports", (("status", "completed"),)] == 1
    assert after["leadsy_imports", (("status", "failed"),)] == 0
    # Counted in the worker's pool process, read here through the multiprocess folder.
    assert delta("leadsy_import_rows_total", outcome="imported") == 2
    assert delta("leadsy_import_rows_total", outcome="failed") == 1
    # A chunk is at most 5% of a file (progress moves at least every 5%): one row a chunk here.
    assert delta("leadsy_import_chunk_commit_seconds_count") == 3
    assert after["leadsy_broker_up", ()] == 1
    assert ("leadsy_queue_depth", (("queue", "celery"),)) in after
    # django-prometheus' request metrics, by view and status.
    assert any(name == "django_http_responses_total_by_status_total" for name, _ in after)


@pytest.mark.django_db
def test_queue_depth_counts_the_messages_waiting(client, settings):
    import uuid

    from leadsy.celery import app as celery_app

    settings.METRICS_TOKEN = TOKEN
    queue = f"depth-{uuid.uuid4().hex[:8]}"  # no worker consumes it
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    assert samples(client)["leadsy_queue_depth", (("queue", queue),)] == 0
    for _ in range(3):
        celery_app.send_task("tests.sleep", args=[0], queue=queue)
    try:
        assert samples(client)["leadsy_queue_depth", (("queue", queue),)] == 3
    finally:
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)
