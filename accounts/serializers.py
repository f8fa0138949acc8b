from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.serializers import CompanyShortSerializer, PrimaryAccessSerializer
from leadsy.files import absolute_file_url
from leadsy.images import ALLOWED_MIME_TYPES

from .models import User
from .selectors import primary_access_for


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
            "primary_access", "primary_company", "onboarding_completed", "terms_accepted_at", "email_verified",
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


# --- Input shapes (the contract's request bodies) --------------------------------------------------

MAX_ID = 2**63 - 1


class NewUserAccessSerializer(serializers.Serializer):
    company_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    access_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    primary = serializers.BooleanField(default=False)


class UserCreateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=128, trim_whitespace=False,
        help_text="Optional. Without it the user is `pending` and is emailed a link to set one.",
    )  # fmt: skip
    user_accesses_attributes = NewUserAccessSerializer(many=True, required=False, max_length=50)


class UserUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False)
    last_name = serializers.CharField(max_length=150, required=False)
    email = serializers.EmailField(
        max_length=254, required=False,
        help_text="Yours only, with `current_password`: takes effect when the link sent to it is confirmed.",
    )  # fmt: skip
    password = serializers.CharField(
        max_length=128, required=False, write_only=True, trim_whitespace=False,
        help_text="Yours only, with `current_password`.",
    )  # fmt: skip
    current_password = serializers.CharField(
        max_length=128, required=False, write_only=True, trim_whitespace=False,
        help_text="Required with `password` or a new `email` (yours only).",
    )  # fmt: skip
    status = serializers.ChoiceField(
        choices=[User.Status.ACTIVE, User.Status.INACTIVE], required=False,
        help_text="Only an owner/admin of every company of the user; not on yourself.",
    )  # fmt: skip


class FindByEmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class TokenRefreshInputSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=4096)


class TokensSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Access token (JWT) for `Authorization: Bearer`.")
    refresh_token = serializers.CharField(help_text="Single-use: every refresh returns a new one.")
    expires_at = serializers.DateTimeField(help_text="When the access token expires.")


class LoginResponseSerializer(TokensSerializer):
    user = UserSerializer()


class ValidateJwtResponseSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    user = UserSerializer()
    expires_at = serializers.DateTimeField()


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class EmailLinkSerializer(serializers.Serializer):
    """`{uid, token}` from an emailed link (verify email, confirm an email change)."""

    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=1024)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class AvatarSetSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Defaults to the caller."
    )
    avatar_base64 = serializers.CharField(
        trim_whitespace=False, help_text="The image, base64 (a `data:image/...;base64,` prefix is accepted)."
    )
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, help_text="Ignored for storage.")
    type = serializers.ChoiceField(
        choices=[*ALLOWED_MIME_TYPES, "image/jpg"], required=False,
        help_text="Informative: the format is read from the image itself.",
    )  # fmt: skip


class AvatarDeleteSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class TermsAcceptSerializer(serializers.Serializer):
    legal_term_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
