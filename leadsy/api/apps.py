from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadsy.api"
    label = "leadsy_api"
    verbose_name = "API plumbing"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
