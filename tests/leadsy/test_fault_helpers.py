"""The fault helpers do what the fault tests rely on: real kills, a real Redis restart, real dropped connections."""

import shutil
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from leadsy.celery import app
from tests.conftest import wait_for
from tests.support.faults import RedisServer, pid_alive, terminate_backends
from tests.support.tasks import create_user, hold_database, sleep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _user_exists(email: str) -> bool:
    return get_user_model().objects.filter(email=email).exists()


def test_kill_hard_kills_the_worker_and_its_pool_children(worker_factory):
    # A queue of its own: the session worker must not take the task.
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    worker = worker_factory(extra_args=("-Q", queue))
    sleep.apply_async(args=[30], queue=queue)
    assert worker.wait_for_log("Task tests.sleep["), worker.log_text
    children = worker.children()
    assert children

    pids = worker.kill_hard()

    assert set(children) <= set(pids)
    assert not any(pid_alive(pid) for pid in pids)
    assert worker.poll() == -9


def test_stop_waits_for_a_warm_shutdown(worker_factory):
    worker = worker_factory(extra_args=("-Q", f"faults-{uuid.uuid4().hex[:8]}"))
    children = worker.children()

    worker.stop()

    assert worker.poll() == 0
    assert not any(pid_alive(pid) for pid in children)


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_worker_consumes_again_after_its_redis_restarts(worker_factory):
    with RedisServer() as redis:
        worker_factory(broker_url=redis.url(0))
        with app.connection_for_write(redis.url(0)) as broker:
            create_user.apply_async(args=["before@example.com"], connection=broker)
        wait_for(lambda: _user_exists("before@example.com"))

        redis.restart(down_for=1)

        with app.connection_for_write(redis.url(0)) as broker:
            create_user.apply_async(args=["after@example.com"], connection=broker)
        wait_for(lambda: _user_exists("after@example.com"), timeout=60)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_terminate_backend needs PostgreSQL")
def test_a_worker_serves_the_next_task_after_its_database_connection_is_terminated_mid_task(worker_factory):
    queue = f"faults-{uuid.uuid4().hex[:8]}"
    worker = worker_factory(extra_args=("-Q", queue))
    hold_database.apply_async(args=[30], queue=queue)

    # Celery closes the connection between tasks: it exists only while the task runs.
    wait_for(lambda: terminate_backends(application_name=worker.application_name))

    assert worker.wait_for_log("OperationalError"), worker.log_text
    create_user.apply_async(args=["after-drop@example.com"], queue=queue)
    wait_for(lambda: _user_exists("after-drop@example.com"))
