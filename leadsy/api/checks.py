"""Deploy checks of our own (`manage.py check --deploy`), beside Django's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_services(app_configs, **kwargs):
    warnings = []
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"]
    if signing_key == settings.SECRET_KEY or len(signing_key.encode()) < 32:
        warnings.append(
            Warning(
                "JWT_SIGNING_KEY must differ from SECRET_KEY and be at least 32 bytes.",
                id="leadsy.W001",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        warnings.append(
            Warning(
                "Throttles count in the cache: with several web processes set CACHE_URL to a shared cache "
                "(redis://...), or each process allows the full rate.",
                id="leadsy.W002",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        warnings.append(
            Warning(
                "The filesystem broker serves one machine only: set CELERY_BROKER_URL to Redis.",
                id="leadsy.W003",
            )
        )
    return warnings
