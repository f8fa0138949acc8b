from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from leadsy.api.pagination import object_response
from leadsy.api.schema import envelope

from .selectors import legal_term_current, legal_term_get
from .serializers import LegalTermSerializer

LEGAL_TERM_ENVELOPE = envelope("legal_term", LegalTermSerializer)


class LegalTermCurrentView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        tags=["Legal terms"],
        summary="The current terms and conditions",
        responses={200: LEGAL_TERM_ENVELOPE},
    )
    def get(self, request):
        term = legal_term_current()
        if term is None:
            raise NotFound("No terms have been published yet.")
        return object_response("legal_term", LegalTermSerializer(term).data)


class LegalTermDetailView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        tags=["Legal terms"],
        summary="A published version of the terms",
        responses={200: LEGAL_TERM_ENVELOPE},
    )
    def get(self, request, legal_term_id: int):
        return object_response("legal_term", LegalTermSerializer(legal_term_get(legal_term_id=legal_term_id)).data)
