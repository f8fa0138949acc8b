"""Company serializers that embed users. Apart from serializers.py because accounts.serializers imports
that module (for the short company), and these import accounts.serializers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSerializer, UserShortSerializer

from .models import Invitation
from .serializers import AccessSerializer, CompanyShortSerializer, UserAccessSerializer


class CompanyUserSerializer(UserSerializer):
    """A user with its access in the company listed."""

    user_access = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "user_access"]
        read_only_fields = fields

    @extend_schema_field(UserAccessSerializer())
    def get_user_access(self, user):
        return UserAccessSerializer(user._company_accesses[0]).data if user._company_accesses else None


class InvitationSerializer(serializers.ModelSerializer):
    company = CompanyShortSerializer(read_only=True)
    access = AccessSerializer(read_only=True)
    invited_by = UserShortSerializer(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=Invitation.Status.choices, read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "code", "email", "company", "access", "status", "invited_by", "expires_at", "created_at"]
        read_only_fields = fields


class PendingInvitationSerializer(InvitationSerializer):
    """An invitation in the pending list: `code` is null unless the caller may see it (selector's `code_visible`)."""

    code = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_code(self, invitation) -> str | None:
        return invitation.code if getattr(invitation, "code_visible", False) else None
