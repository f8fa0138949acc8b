from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .forms import UserChangeAdminForm, UserCreationAdminForm
from .models import User
from .services import user_status_set, user_tokens_revoke


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["-created_at"]
    list_display = ["email", "full_name", "status", "is_staff", "created_at", "last_login"]
    list_filter = ["status", "is_staff", "is_superuser", "onboarding_completed"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["created_at", "updated_at", "last_login", "terms_accepted_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["first_name", "last_name", "avatar", "status"]}),
        ("Onboarding", {"fields": ["onboarding_completed", "terms_accepted_at"]}),
        ("Permissions", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "first_name", "last_name", "password1", "password2"]})
    ]
    filter_horizontal = ["groups", "user_permissions"]

    actions = ["activate_users", "deactivate_users"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Deactivating here ends the user's sessions, as through the API. (A password changed in
        # the admin stops old tokens by itself: they carry a hash of the old password.)
        if change and "status" in form.changed_data and obj.status == User.Status.INACTIVE:
            user_tokens_revoke(user=obj)

    @admin.action(description="Activate the selected users (those with a password)")
    def activate_users(self, request, queryset):
        # A user without a password stays pending: it sets one through the emailed link.
        count = 0
        for user in queryset.exclude(status=User.Status.ACTIVE):
            if user.has_usable_password():
                user_status_set(user=user, status=User.Status.ACTIVE)
                count += 1
        self.message_user(request, f"{count} user(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate the selected users (ends their sessions)")
    def deactivate_users(self, request, queryset):
        count = 0
        for user in queryset.exclude(status=User.Status.INACTIVE):
            user_status_set(user=user, status=User.Status.INACTIVE)
            count += 1
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)
