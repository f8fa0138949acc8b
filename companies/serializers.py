import phonenumbers
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.selectors import current_membership
from billing.serializers import MembershipSerializer
from leadsy.files import absolute_file_url

from .models import Access, Company, Cycle, UserAccess

# ISO 3166-1 alpha-2: the regions phonenumbers knows (the country is the default phone region of imports),
# without its non-ISO ones, plus the uninhabited ISO territories it has no numbering plan for.
COUNTRY_CODES = frozenset(
    (set(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA", "XK"}) | {"AQ", "BV", "GS", "HM", "PN", "TF", "UM"}
)


class CompanyShortSerializer(serializers.ModelSerializer):
    """`{id, name, default, parent_company_id}`: how other objects point at a company."""

    default = serializers.BooleanField(read_only=True)

    class Meta:
        model = Company
        fields = ["id", "name", "default", "parent_company_id"]


class PrimaryAccessSerializer(serializers.ModelSerializer):
    access_name = serializers.CharField(source="access.name")

    class Meta:
        model = UserAccess
        fields = ["id", "company_id", "access_id", "access_name"]


class CompanySerializer(serializers.ModelSerializer):
    """The contract's company object; `membership` is the current plan (never null)."""

    default = serializers.BooleanField(read_only=True, help_text="True for the root of a company tree.")
    avatar_route = serializers.SerializerMethodField()
    membership = serializers.SerializerMethodField()
    country = serializers.SerializerMethodField()

    class Meta:
        model = Company
        fields = [
            "id", "name", "default", "parent_company_id", "avatar_route", "country", "cycles_enabled",
            "membership", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_route(self, company) -> str | None:
        return absolute_file_url(self.context.get("request"), company.avatar)

    @extend_schema_field(MembershipSerializer())
    def get_membership(self, company):
        active = getattr(company, "_active_subscriptions", None)  # prefetched by company_list_for_user
        membership = active[0].membership if active else current_membership(company=company)
        return MembershipSerializer(membership).data

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="ISO 3166-1 alpha-2"))
    def get_country(self, company) -> str | None:
        return company.country or None


class CompanyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, allow_null=True)
    parent_company_id = serializers.IntegerField(required=False, allow_null=True)

    def validate_name(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("This field may not be blank.")
        return value.strip()

    def validate_country(self, value):
        if not value:
            return ""
        value = value.strip().upper()
        if value not in COUNTRY_CODES:
            raise serializers.ValidationError("Not an ISO 3166-1 alpha-2 country code.")
        return value


class CompanyAvatarSerializer(serializers.Serializer):
    company_id = serializers.IntegerField()
    avatar_base64 = serializers.CharField(trim_whitespace=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=255)
    type = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Informative only.")


class CompanyAvatarDeleteSerializer(serializers.Serializer):
    company_id = serializers.IntegerField(help_text="In the body or the query string.")


class AccessSerializer(serializers.ModelSerializer):
    class Meta:
        model = Access
        fields = ["id", "name", "description"]


class UserAccessSerializer(serializers.ModelSerializer):
    access_name = serializers.CharField(source="access.name", read_only=True)

    class Meta:
        model = UserAccess
        fields = ["id", "user_id", "company_id", "access_id", "access_name", "primary"]
        read_only_fields = fields


class UserAccessCreateSerializer(serializers.Serializer):
    company_id = serializers.IntegerField()
    access_id = serializers.IntegerField()
    primary = serializers.BooleanField(default=False)


class UserAccessEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, help_text="An existing access of the user; omit to create one.")
    company_id = serializers.IntegerField(required=False, help_text="Required to create an access.")
    access_id = serializers.IntegerField(required=False, help_text="Required to create an access.")
    primary = serializers.BooleanField(required=False)
    _destroy = serializers.BooleanField(default=False, label="_destroy", help_text="Remove this access.")

    def validate(self, attrs):
        if "id" not in attrs:
            missing = {
                name: ["Required to create an access."] for name in ("company_id", "access_id") if name not in attrs
            }
            if missing:
                raise serializers.ValidationError(missing)
            if attrs["_destroy"]:
                raise serializers.ValidationError({"id": ["Required with _destroy."]})
        return attrs


class UserAccessBulkSerializer(serializers.Serializer):
    user_accesses_attributes = UserAccessEntrySerializer(many=True, allow_empty=False)


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    company_id = serializers.IntegerField()
    access_id = serializers.IntegerField()


class InvitationAcceptSerializer(serializers.Serializer):
    """A new person signing up: names and a password. An existing user sends its JWT and no body."""

    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    password = serializers.CharField(max_length=128, required=False, write_only=True, trim_whitespace=False)


class CyclesFlagSerializer(serializers.Serializer):
    cycles_enabled = serializers.BooleanField()


class CycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cycle
        fields = ["id", "company_id", "name", "starts_on", "ends_on", "created_at"]
        read_only_fields = fields


class CycleCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()

    def validate(self, attrs):
        if attrs["starts_on"] > attrs["ends_on"]:
            raise serializers.ValidationError({"ends_on": ["Must be on or after starts_on."]})
        return attrs
