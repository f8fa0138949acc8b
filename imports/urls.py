from django.urls import path, re_path

from . import views

urlpatterns = [
    path("import", views.ImportListView.as_view(), name="import-list"),
    path("import/template", views.ImportTemplateView.as_view(), name="import-template"),
    path("import/<str:import_code>", views.ImportDetailView.as_view(), name="import-detail"),
    path("import/<str:import_code>/cancel", views.ImportCancelView.as_view(), name="import-cancel"),
    re_path(
        r"^import/(?P<import_code>[^/]+)/(?P<kind>original_file|error_file)$",
        views.ImportDownloadView.as_view(),
        name="import-file-download",
    ),
]
