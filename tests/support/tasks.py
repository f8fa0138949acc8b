"""Tasks that only the test worker loads (`celery worker -I tests.support.tasks`)."""

from celery import shared_task
from django.contrib.auth import get_user_model


@shared_task(name="tests.create_user")
def create_user(email: str) -> None:
    get_user_model().objects.create_user(email=email)


@shared_task(name="tests.sleep")
def sleep(seconds: float) -> None:
    """Keeps a pool child busy, so that a fault test has a task to interrupt."""
    import time

    time.sleep(seconds)


@shared_task(name="tests.hold_database")
def hold_database(seconds: float) -> None:
    """Keeps a database connection busy (PostgreSQL), so that a fault test can drop it mid-task."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])
