"""A test-only URLconf with views that exercise the shared API plumbing."""

from django.contrib.auth import get_user_model
from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from leadsy.api.pagination import object_response, paginated_response


class UserRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    age = serializers.IntegerField()


class MeView(APIView):
    def get(self, request):
        return object_response("user", UserRowSerializer(request.user).data)


class UsersView(APIView):
    def get(self, request):
        return paginated_response(request, get_user_model().objects.order_by("id"), UserRowSerializer, key="users")


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return object_response("echo", serializer.validated_data, status=201)


class BoomView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals")


urlpatterns = [
    path(
        "api/v1/",
        include(
            [
                path("me", MeView.as_view()),
                path("users", UsersView.as_view()),
                path("echo", EchoView.as_view()),
                path("boom", BoomView.as_view()),
            ]
        ),
    ),
    path("", include("leadsy.urls")),
]

from leadsy.urls import handler400, handler403, handler404, handler500  # noqa: E402, F401
