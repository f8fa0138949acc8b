"""Housekeeping tasks that belong to no single app (beat runs them; CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="leadsy.flush_expired_tokens", ignore_result=True)
def flush_expired_tokens() -> None:
    """Delete the JWT blacklist's rows of refresh tokens that have expired anyway (simplejwt's command); without
    it the outstanding/blacklisted token tables grow by every login for ever."""
    call_command("flushexpiredtokens")
