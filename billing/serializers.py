from rest_framework import serializers

from .models import Membership, Subscription


class MembershipSerializer(serializers.ModelSerializer):
    features = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "name", "price_cents", "currency", "interval", "max_users", "max_leads_per_import", "features"]
        read_only_fields = fields


class SubscriptionSerializer(serializers.ModelSerializer):
    membership = MembershipSerializer(read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "company_id", "membership", "status", "started_at", "current_period_end", "cancelled_at"]
        read_only_fields = fields


class MembershipAttachSerializer(serializers.Serializer):
    membership_id = serializers.IntegerField(help_text="The plan to attach; in the body or the query string.")
