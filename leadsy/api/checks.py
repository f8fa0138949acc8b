"""Deploy checks of our own (`manage.py check --deploy`), beside Django's."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_jwt_signing_key(app_configs, **kwargs):
    """Fail closed: in production a JWT key derived from SECRET_KEY (or a weak one) is an error, not a warning.

    Whoever learns SECRET_KEY (a leaked .env, a debug page) could otherwise mint tokens for any user.
    """
    signing_key = settings.SIMPLE_JWT["SIGNING_KEY"]
    weak = signing_key == settings.SECRET_KEY or len(signing_key.encode()) < 32
    if not settings.DEBUG and (weak or not settings.JWT_SIGNING_KEY_IS_OWN):
        return [
            Error(
                "DEBUG is off: set JWT_SIGNING_KEY to a key of its own (at least 32 bytes, not SECRET_KEY).",
                id="leadsy.E001",
            )
        ]
    if weak:
        return [Warning("JWT_SIGNING_KEY must differ from SECRET_KEY and be at least 32 bytes.", id="leadsy.W001")]
    return []


@register(Tags.security, deploy=True)
def check_production_services(app_configs, **kwargs):
    warnings = []
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
