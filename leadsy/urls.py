from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from leadsy.api.views import HealthView
from leadsy.metrics import metrics_view

api_v1 = [
    path("health", HealthView.as_view(), name="health"),
    path("", include("accounts.urls")),
    path("", include("legal.urls")),
    path("", include("companies.urls")),
    path("", include("billing.urls")),
    path("", include("campaigns.urls")),
    path("", include("imports.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", include("accounts.admin_urls")),  # the login behind the API login's throttles
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),  # 404 unless METRICS_TOKEN is set
]

if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Avatars are public; the project serves them itself, also with DEBUG off. Import files live
    # in the separate private storage, which has no URL.
    media_prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [re_path(rf"^{media_prefix}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

handler400 = "leadsy.api.exceptions.bad_request"
handler403 = "leadsy.api.exceptions.permission_denied"
handler404 = "leadsy.api.exceptions.page_not_found"
handler500 = "leadsy.api.exceptions.server_error"
