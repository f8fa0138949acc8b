from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import APIException

from billing.models import Subscription

from . import services
from .models import Access, Company, Cycle, Invitation, UserAccess


class UserAccessInline(admin.TabularInline):
    model = UserAccess
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "access", "primary", "created_at"]
    readonly_fields = ["created_at"]


class ChildCompanyInline(admin.TabularInline):
    model = Company
    fk_name = "parent_company"
    extra = 0
    fields = ["name", "country", "created_at"]
    readonly_fields = ["name", "country", "created_at"]
    show_change_link = True
    can_delete = False
    verbose_name_plural = "child companies"

    def has_add_permission(self, request, obj=None):
        return False


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["membership", "status", "started_at", "cancelled_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # plan changes go through billing.services (one active subscription)


class CycleInline(admin.TabularInline):
    model = Cycle
    extra = 0


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = ["name", "parent_company", "country", "cycles_enabled", "avatar"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:  # a new company has no children yet, so it cannot close a loop
            try:
                services.company_parent_validate(company=self.instance, parent_company=cleaned.get("parent_company"))
            except DjangoValidationError as error:
                self.add_error("parent_company", error.message_dict["parent_company_id"])
        return cleaned


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "parent_company", "country", "cycles_enabled", "created_at"]
    list_filter = ["cycles_enabled", "country", ("parent_company", admin.EmptyFieldListFilter)]
    search_fields = ["name"]
    raw_id_fields = ["parent_company"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [UserAccessInline, ChildCompanyInline, SubscriptionInline, CycleInline]

    form = CompanyAdminForm

    def save_model(self, request, obj, form, change):
        is_new = obj.pk is None
        super().save_model(request, obj, form, change)
        if is_new:
            from billing.services import subscribe_free

            subscribe_free(company=obj)


@admin.register(Access)
class AccessAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(UserAccess)
class UserAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "access", "primary", "created_at"]
    list_filter = ["access", "primary"]
    search_fields = ["user__email", "company__name"]
    raw_id_fields = ["user", "company"]
    list_select_related = ["user", "company", "access"]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "starts_on", "ends_on"]
    search_fields = ["name", "company__name"]
    raw_id_fields = ["company"]
    date_hierarchy = "starts_on"


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "company", "access", "status", "invited_by", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["access", ("accepted_at", admin.EmptyFieldListFilter), ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "company__name"]
    raw_id_fields = ["company", "invited_by", "accepted_by"]
    readonly_fields = ["code", "created_at", "accepted_at", "accepted_by", "revoked_at"]
    list_select_related = ["company", "access", "invited_by"]
    actions = ["resend", "revoke"]

    def has_add_permission(self, request):
        return False  # invitations are created through the API (permissions, plan limits, the email)

    @admin.action(description="Resend the email (and extend for 7 days)")
    def resend(self, request, queryset):
        self._each(request, queryset, services.invitation_resend, "resent")

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        self._each(request, queryset, services.invitation_revoke, "revoked")

    def _each(self, request, queryset, service, verb):
        done = 0
        for invitation in queryset:
            try:
                service(invitation=invitation)
                done += 1
            except (APIException, DjangoValidationError) as error:
                self.message_user(request, f"{invitation}: {error}", messages.WARNING)
        self.message_user(request, f"{done} invitation(s) {verb}.")
