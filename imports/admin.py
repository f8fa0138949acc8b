from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from leadsy.admin_filters import search_filter
from leadsy.errors import DomainError

from .models import ImportFile, Webhook, WebhookDelivery
from .services import import_file_cancel, import_file_retry

STATUS_COLOURS = {
    ImportFile.Status.PENDING: "#6c757d",
    ImportFile.Status.PROCESSING: "#0d6efd",
    ImportFile.Status.COMPLETED: "#198754",
    ImportFile.Status.FAILED: "#dc3545",
    ImportFile.Status.CANCELLED: "#adb5bd",
}


@admin.register(ImportFile)
class ImportFileAdmin(admin.ModelAdmin):
    # Fits a 1366 px screen: the counters live in the progress column's title and on the detail page.
    list_display = ["import_code", "original_name", "company", "imported_by", "status_badge", "progress", "created_at"]
    # Search boxes, not lists of every company and user (which do not load for a big tenant).
    list_filter = ["status", ("company", search_filter("name")), ("imported_by", search_filter("email")), "created_at"]
    show_full_result_count = False
    search_fields = ["import_code", "original_name", "company__name", "imported_by__email"]
    list_select_related = ["company", "imported_by"]
    date_hierarchy = "created_at"
    actions = ["retry_imports", "cancel_imports"]
    readonly_fields = [
        "import_code", "company", "imported_by", "campaign", "stage", "status", "original_name",
        "original_file_link", "error_file_link", "options", "total_records", "processed_records",
        "failed_records", "error_message", "file_format", "checkpoint_rows", "lease_owner", "lease_expires_at",
        "heartbeat_at", "attempts", "started_at", "finished_at", "finished_notified_at", "files_expired_at",
        "created_at", "updated_at",
    ]  # fmt: skip
    exclude = ["original_file", "error_file"]

    def has_add_permission(self, request):
        return False  # imports start from the API or `manage.py import_leads`, which validate the file

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span style="color:#fff;background:{};padding:1px 6px;border-radius:8px">{}</span>',
            STATUS_COLOURS[obj.status],
            obj.get_status_display(),
        )

    @admin.display(description="progress")
    def progress(self, obj):
        total = obj.total_records or 0
        done = min(obj.processed_records, total) if total else 0
        percent = round(100 * done / total) if total else (100 if obj.status == ImportFile.Status.COMPLETED else 0)
        return format_html(
            '<progress value="{}" max="100" title="{} of {} rows">{}%</progress> {}%',
            percent, done, total, percent, percent,
        )  # fmt: skip

    def _file_link(self, obj, kind):
        if not getattr(obj, kind):
            return "—"
        url = reverse("admin:imports_importfile_download", args=[obj.pk, kind])
        return format_html('<a href="{}">download</a>', url)

    @admin.display(description="original file")
    def original_file_link(self, obj):
        return self._file_link(obj, "original_file")

    @admin.display(description="error file")
    def error_file_link(self, obj):
        return self._file_link(obj, "error_file")

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        route = path("<int:pk>/download/<str:kind>/", download, name="imports_importfile_download")
        return [route, *super().get_urls()]

    def download_view(self, request, pk, kind):
        """Import files are private: staff download them through the admin, never from a public URL."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if kind not in ("original_file", "error_file"):
            raise Http404
        import_file = get_object_or_404(ImportFile, pk=pk)
        field = getattr(import_file, kind)
        if not field:
            raise Http404
        name = import_file.original_name if kind == "original_file" else f"{import_file.import_code}-errors.csv"
        return FileResponse(field.open("rb"), as_attachment=True, filename=name)

    def _apply(self, request, queryset, action, verb):
        done = 0
        for import_file in queryset:
            try:
                action(import_file=import_file)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{import_file.import_code}: {error.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{done} import(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Retry selected imports (failed or cancelled)")
    def retry_imports(self, request, queryset):
        self._apply(request, queryset, import_file_retry, "queued again")

    @admin.action(description="Cancel selected imports")
    def cancel_imports(self, request, queryset):
        self._apply(request, queryset, import_file_cancel, "cancelled")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "company", "is_active", "failing_since", "created_at"]
    list_filter = ["is_active", ("company", search_filter("name")), "created_at"]
    show_full_result_count = False
    search_fields = ["url", "company__name"]
    list_select_related = ["company"]
    readonly_fields = ["company", "created_by", "failing_since", "disabled_at", "created_at"]
    exclude = ["secret"]  # shown once, in the API's 201

    def has_add_permission(self, request):
        return False  # created through the API, which checks the destination


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "webhook", "status", "attempts", "response_status", "created_at", "delivered_at"]
    list_filter = ["status", ("webhook", search_filter("url")), "created_at"]
    show_full_result_count = False
    search_fields = ["event", "webhook__url", "webhook__company__name"]
    list_select_related = ["webhook"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "webhook", "event", "import_file", "body", "status", "attempts", "response_status", "last_error",
        "next_attempt_at", "created_at", "delivered_at",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False
