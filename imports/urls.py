from django.urls import path

from . import views, webhook_views

urlpatterns = [
    path("import", views.ImportListView.as_view(), name="import-list"),
    path("import/template", views.ImportTemplateView.as_view(), name="import-template"),
    path("import/preview", views.ImportPreviewView.as_view(), name="import-preview"),
    path("import/<str:import_code>", views.ImportDetailView.as_view(), name="import-detail"),
    path("import/<str:import_code>/cancel", views.ImportCancelView.as_view(), name="import-cancel"),
    # Two literal paths (endpoint 48), so the OpenAPI schema names both downloads.
    path(
        "import/<str:import_code>/original_file",
        views.ImportOriginalFileView.as_view(),
        {"kind": "original_file"},
        name="import-original-file",
    ),
    path(
        "import/<str:import_code>/error_file",
        views.ImportErrorFileView.as_view(),
        {"kind": "error_file"},
        name="import-error-file",
    ),
    path("companies/<int:company_id>/webhooks", webhook_views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<int:webhook_id>", webhook_views.WebhookDetailView.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:webhook_id>/deliveries",
        webhook_views.WebhookDeliveryListView.as_view(),
        name="webhook-delivery-list",
    ),
    path("webhooks/<int:webhook_id>/test", webhook_views.WebhookTestView.as_view(), name="webhook-test"),
]
