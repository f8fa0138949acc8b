from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.serializers import CompanyShortSerializer, PrimaryAccessSerializer

from .models import User
from .selectors import primary_access_for


def absolute_file_url(request, file) -> str | None:
    """An absolute URL for a stored file (local media or S3), or None when there is no file."""
    if not file:
        return None
    url = file.url
    if url.startswith("/") and request is not None:
        return request.build_absolute_uri(url)
    return url


class UserSerializer(serializers.ModelSerializer):
    """The contract's user object."""

    full_name = serializers.CharField(read_only=True)
    avatar_route = serializers.SerializerMethodField()
    primary_access = serializers.SerializerMethodField()
    primary_company = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "first_name", "last_name", "email", "status", "full_name", "avatar_route",
            "primary_access", "primary_company", "onboarding_completed", "terms_accepted_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_route(self, user) -> str | None:
        return absolute_file_url(self.context.get("request"), user.avatar)

    @extend_schema_field(PrimaryAccessSerializer(allow_null=True))
    def get_primary_access(self, user):
        access = primary_access_for(user)
        return PrimaryAccessSerializer(access).data if access else None

    @extend_schema_field(CompanyShortSerializer(allow_null=True))
    def get_primary_company(self, user):
        access = primary_access_for(user)
        return CompanyShortSerializer(access.company).data if access else None


class UserShortSerializer(serializers.ModelSerializer):
    """`{id, full_name, email}`: how other objects (imports, invitations) point at a user."""

    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "full_name", "email"]
