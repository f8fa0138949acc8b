from django.apps import AppConfig
from django.db.models.signals import post_delete


class ImportsConfig(AppConfig):
    name = "imports"

    def ready(self) -> None:
        from .models import ImportFile
        from .retention import import_file_deleted

        post_delete.connect(import_file_deleted, sender=ImportFile, dispatch_uid="imports.files_deleted")
