from rest_framework import serializers

from .models import Company, UserAccess


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
