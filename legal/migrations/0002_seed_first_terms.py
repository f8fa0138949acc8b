from datetime import UTC, datetime

from django.db import migrations

FIRST_TERMS = """By using Leadsy you agree to process the personal data of your leads lawfully, on behalf of \
your company, and only for the purposes your leads consented to. Leadsy stores your data in the EU, \
keeps it until your company deletes it, and never sells it. You are responsible for the accounts of \
the users you invite. These terms may change; you will be asked to accept each new version."""


def seed(apps, schema_editor):
    LegalTerm = apps.get_model("legal", "LegalTerm")
    LegalTerm.objects.get_or_create(
        version="2026-01",
        defaults={"title": "Terms and conditions", "body": FIRST_TERMS, "published_at": datetime(2026, 1, 1, tzinfo=UTC)},
    )


def unseed(apps, schema_editor):
    apps.get_model("legal", "LegalTerm").objects.filter(version="2026-01", acceptances__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_legal_terms_and_acceptances")]
    operations = [migrations.RunPython(seed, unseed)]
