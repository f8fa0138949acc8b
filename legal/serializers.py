from rest_framework import serializers

from .models import LegalTerm


class LegalTermSerializer(serializers.ModelSerializer):
    content = serializers.CharField(source="body", read_only=True)

    class Meta:
        model = LegalTerm
        fields = ["id", "version", "title", "content", "published_at"]
        read_only_fields = fields
