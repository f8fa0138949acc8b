from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Development data: demo seeding, test identities and generated lead files. Calls only services."""

    name = "devdata"
    verbose_name = "Development data"
