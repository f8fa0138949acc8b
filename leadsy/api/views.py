import logging

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leadsy.celery import app as celery_app

logger = logging.getLogger(__name__)

HEALTH_STATES = ["ok", "error"]  # named HealthStateEnum in the schema (ENUM_NAME_OVERRIDES)
HealthSerializer = inline_serializer(
    name="Health",
    fields={part: serializers.ChoiceField(choices=HEALTH_STATES) for part in ("status", "database", "broker")},
)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.exception("Health check: database unreachable")
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        return True
    except Exception:
        logger.exception("Health check: broker unreachable")
        return False


class HealthView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        summary="Health of the API, its database and its broker",
        responses={200: HealthSerializer, 503: HealthSerializer},
    )
    def get(self, request):
        database, broker = _database_ok(), _broker_ok()
        body = {
            "status": "ok" if database and broker else "error",
            "database": "ok" if database else "error",
            "broker": "ok" if broker else "error",
        }
        return Response(body, status=200 if database and broker else 503)
