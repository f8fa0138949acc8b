from django.contrib import admin

from .models import LegalTerm, TermsAcceptance


class TermsAcceptanceInline(admin.TabularInline):
    model = TermsAcceptance
    extra = 0
    can_delete = False
    fields = ["user", "accepted_at", "ip", "user_agent"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LegalTerm)
class LegalTermAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at", "acceptances_count"]
    list_filter = ["published_at"]
    search_fields = ["version", "title"]
    readonly_fields = ["created_at"]
    inlines = [TermsAcceptanceInline]

    @admin.display(description="Acceptances")
    def acceptances_count(self, term):
        return term.acceptances.count()

    def get_readonly_fields(self, request, obj=None):
        # A published version is evidence of what users agreed to: publish a new version instead.
        if obj is not None and obj.published_at is not None and obj.acceptances.exists():
            return ["version", "title", "body", "published_at", "created_at"]
        return self.readonly_fields


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "legal_term", "accepted_at", "ip"]
    list_filter = ["legal_term", "accepted_at"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "ip"]
    list_select_related = ["user", "legal_term"]
    readonly_fields = ["user", "legal_term", "accepted_at", "ip", "user_agent"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
