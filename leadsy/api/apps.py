from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "leadsy.api"
    label = "leadsy_api"
    verbose_name = "API plumbing"
