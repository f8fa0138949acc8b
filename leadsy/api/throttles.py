"""Throttles. Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env-configurable).

DRF throttles count in the cache, so production needs a shared cache (CACHE_URL=redis://...).
They are checked in `initial()`, before the view body runs, so a throttled login never reaches
the password hasher.
"""

import hashlib

from rest_framework.exceptions import Throttled
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class UserThrottle(UserRateThrottle):
    scope = "user"


class AnonThrottle(AnonRateThrottle):
    scope = "anon"


class IPThrottle(SimpleRateThrottle):
    """Counts requests per client IP under the subclass's scope, whoever is authenticated."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BodyFieldThrottle(SimpleRateThrottle):
    """Counts requests per value of one body field (e.g. the email a login or a reset is for).

    The value is hashed into the cache key: keys stay short and no email sits in the cache in clear.
    """

    field = "email"

    def get_cache_key(self, request, view):
        try:
            value = request.data.get(self.field)
        except Exception:  # unparsable body: the view answers 422 itself
            return None
        if not isinstance(value, str) or not value.strip():
            return None
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class KeyedThrottle(SimpleRateThrottle):
    """A rate per key the view chooses once it has authorized the request (e.g. per company).

    Not a view throttle class: the view calls `check(key=...)` after its permission check, so a caller
    without the permission cannot spend someone else's budget.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self._key}

    def check(self, *, key: str) -> None:
        self._key = key
        if not self.allow_request(request=None, view=None):
            raise Throttled(wait=self.wait())
