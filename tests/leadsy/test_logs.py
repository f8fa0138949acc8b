"""Structured logs: the client's X-Request-ID on the web's JSON line and on the worker's lines of its import."""

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings

from leadsy import logs
from tests.conftest import wait_for

CSV = b"First Name,Email\nAna,ana@example.com\nLuis,luis@example.com\n"


@pytest.fixture
def json_lines():
    """The web's log output in production's format (settings' json formatter and context filter), as dicts."""
    stream = io.StringIO()
    configurator = logging.config.DictConfigurator({})
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configurator.configure_formatter(dict(logs.formatters()["json"])))
    handler.addFilter(logs.ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_request_id_is_taken_from_the_header_and_returned(api_client, json_lines):
    response = api_client.get("/api/v1/health", HTTP_X_REQUEST_ID="abc")
    assert response["X-Request-ID"] == "abc"
    line = next(line for line in json_lines() if line["logger"] == "leadsy.request")
    assert line["request_id"] == "abc"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/health", 200)
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
@pytest.mark.parametrize("supplied", [None, "", "x" * 200, "bad id\nwith newline"])
def test_a_missing_or_unsafe_request_id_is_replaced(api_client, json_lines, supplied):
    headers = {} if supplied is None else {"HTTP_X_REQUEST_ID": supplied}
    request_id = api_client.get("/api/v1/health", **headers)["X-Request-ID"]
    assert len(request_id) == 32 and request_id != supplied
    assert [line["request_id"] for line in json_lines() if line["logger"] == "leadsy.request"] == [request_id]


@pytest.mark.django_db
def test_the_request_line_names_the_authenticated_user(owner, client_for, json_lines):
    client_for(owner).get("/api/v1/users/validate_jwt", HTTP_X_REQUEST_ID="who")
    line = next(line for line in json_lines() if line["logger"] == "leadsy.request")
    assert (line["request_id"], line["user_id"]) == ("who", owner.pk)


@pytest.mark.django_db
def test_a_client_error_is_logged_once(api_client, caplog):
    # Django's console handler used to print each request warning a second time beside the root handler.
    with caplog.at_level(logging.INFO):
        api_client.post("/api/v1/users/login", {}, format="json")
    lines = [record for record in caplog.records if "/api/v1/users/login" in record.getMessage()]
    assert [(record.name, record.levelname) for record in lines] == [("leadsy.request", "WARNING")]
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []


@pytest.mark.django_db(transaction=True)
def test_request_id_reaches_every_worker_line_of_the_import_it_queued(
    owner, client_for, json_lines, worker_factory, own_queue
):
    worker = worker_factory(env={"LOG_FORMAT": "json"}, extra_args=("-Q", own_queue))
    upload = io.BytesIO(CSV)
    upload.name = "leads.csv"
    response = client_for(owner).post(
        "/api/v1/import", {"company_id": owner.company.id, "file": upload}, format="multipart", HTTP_X_REQUEST_ID="abc"
    )
    assert response.status_code == 202, response.json()
    code = response.json()["import_file"]["import_code"]

    web = [line for line in json_lines() if line["logger"] == "leadsy.request"]
    assert [(line["request_id"], line["status"], line["user_id"]) for line in web] == [("abc", 202, owner.pk)]

    def task_lines():
        lines = [json.loads(line) for line in worker.log if line.startswith("{")]
        if not any("succeeded" in line["message"] for line in lines):
            return None
        task_ids = {line["task_id"] for line in lines if line.get("import_code") == code}
        return [line for line in lines if line.get("task_id") in task_ids]

    lines = wait_for(task_lines, timeout=60)
    messages = " | ".join(line["message"] for line in lines)
    assert "received" in messages and "succeeded" in messages, messages
    assert {line["request_id"] for line in lines} == {"abc"}, lines
    assert {line["user_id"] for line in lines} == {owner.pk}, lines
    succeeded = next(line for line in lines if "succeeded" in line["message"])
    assert (succeeded["import_code"], succeeded["company_id"]) == (code, owner.company.id)


@pytest.mark.django_db
def test_a_browser_client_may_send_and_read_the_request_id(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = api_client.options(
        "/api/v1/health",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-request-id",
    )
    assert "x-request-id" in preflight["Access-Control-Allow-Headers"]
    response = api_client.get("/api/v1/health", HTTP_ORIGIN="https://app.example.com", HTTP_X_REQUEST_ID="abc")
    assert response["Access-Control-Expose-Headers"] == "X-Request-ID"
