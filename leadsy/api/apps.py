from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadsy.api"
    label = "leadsy_api"
    verbose_name = "API plumbing"

    def ready(self):
        from . import authentication, checks  # noqa: F401  (registers the OpenAPI auth scheme and deploy checks)
