"""Beat's housekeeping: expired refresh tokens leave the JWT blacklist tables daily."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from leadsy.api.tasks import flush_expired_tokens


def test_beat_flushes_expired_tokens_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["flush-expired-tokens"]
    assert entry["task"] == flush_expired_tokens.name == "leadsy.flush_expired_tokens"
    assert isinstance(entry["schedule"], crontab) and entry["schedule"].hour == {3}


@pytest.mark.django_db
def test_the_task_deletes_expired_tokens_and_keeps_live_ones(user):
    live, expired = RefreshToken.for_user(user), RefreshToken.for_user(user)
    expired.blacklist()
    OutstandingToken.objects.filter(jti=expired["jti"]).update(expires_at=timezone.now() - timedelta(days=1))
    flush_expired_tokens.apply()  # the task's own code, in this process, on the test database
    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [live["jti"]]
    assert not BlacklistedToken.objects.exists()
