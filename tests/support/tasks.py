"""Tasks that only the test worker loads (`celery worker -I tests.support.tasks`)."""

from celery import shared_task
from django.contrib.auth import get_user_model


@shared_task(name="tests.create_user")
def create_user(email: str) -> None:
    get_user_model().objects.create_user(email=email)
