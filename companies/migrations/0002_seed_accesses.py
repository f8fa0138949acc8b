from django.db import migrations

ACCESSES = [
    ("owner", "Full control of the company: settings, users, billing, imports, campaigns."),
    ("admin", "Manages company settings, users, invitations, memberships, imports and campaigns."),
    ("manager", "Runs imports and campaigns."),
    ("agent", "Reads the company's campaigns, leads and imports."),
]


def seed(apps, schema_editor):
    Access = apps.get_model("companies", "Access")
    for name, description in ACCESSES:
        Access.objects.update_or_create(name=name, defaults={"description": description})


class Migration(migrations.Migration):
    dependencies = [("companies", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
