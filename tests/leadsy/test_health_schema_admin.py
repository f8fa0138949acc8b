import pytest
from django.core.management import call_command

from leadsy.celery import app as celery_app

pytestmark = pytest.mark.django_db


def test_health_is_ok(api_client):
    response = api_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_names_the_broker_when_it_is_down(api_client, monkeypatch):
    # A real unreachable broker: nothing listens on this loopback port.
    for key in ("broker_url", "broker_write_url", "broker_read_url"):
        monkeypatch.setitem(celery_app.conf, key, "redis://127.0.0.1:1/0")
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "broker": "error"}


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/health" in schema


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_schema_and_docs_are_public(api_client, path):
    assert api_client.get(path).status_code == 200


def test_admin_lists_users(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/accounts/user/?q=admin&status__exact=active")
    assert response.status_code == 200
    assert admin_user.email in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_tasks_on_the_test_database(celery_worker):
    from django.contrib.auth import get_user_model

    from tests.conftest import wait_for
    from tests.support.tasks import create_user

    create_user.delay("from-worker@example.com")
    wait_for(lambda: get_user_model().objects.filter(email="from-worker@example.com").exists())
