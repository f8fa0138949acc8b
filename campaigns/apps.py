from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save


class CampaignsConfig(AppConfig):
    name = "campaigns"

    def ready(self) -> None:
        from .models import Lead
        from .search import refresh_saved_lead, register_sqlite_fold

        # SQLite's `leadsy_fold` (PostgreSQL's is created by a migration) on every connection, the worker's too.
        connection_created.connect(register_sqlite_fold, dispatch_uid="campaigns.register_sqlite_fold")
        post_save.connect(refresh_saved_lead, sender=Lead, dispatch_uid="campaigns.refresh_saved_lead")
