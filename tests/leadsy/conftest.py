import io
import uuid

import pytest

from leadsy.celery import app as celery_app


@pytest.fixture
def own_queue(monkeypatch):
    """Route tasks to a queue only this test's worker consumes (the session's `celery_worker` may be running and
    would otherwise take the task, with its own log format and metrics)."""
    queue = f"own-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_routes", {"*": {"queue": queue}})
    _forget_routes()
    yield queue
    monkeypatch.undo()
    _forget_routes()


def _forget_routes() -> None:
    # Celery caches the routing table and the router built from it: both are rebuilt from task_routes.
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


def csv_upload(content: bytes, name: str = "leads.csv") -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload
