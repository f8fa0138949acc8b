from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadsy.api"
    label = "leadsy_api"
    verbose_name = "API plumbing"

    def ready(self):
        # Registers the OpenAPI auth scheme, the main operations' examples and the deploy checks.
        from . import authentication, checks, examples  # noqa: F401
