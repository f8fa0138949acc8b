from django.contrib import admin

from .models import Membership, Subscription


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["name", "price_cents", "currency", "interval", "max_users", "max_leads_per_import", "is_free"]
    list_filter = ["is_free", "interval", "currency"]
    search_fields = ["name"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["company", "membership", "status", "started_at", "cancelled_at"]
    list_filter = ["status", "membership"]
    search_fields = ["company__name"]
    list_select_related = ["company", "membership"]
    raw_id_fields = ["company"]
    readonly_fields = ["started_at", "cancelled_at"]
