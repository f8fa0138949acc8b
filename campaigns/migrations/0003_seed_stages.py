from django.db import migrations

STAGES = ["New", "Contacted", "Qualified", "Won", "Lost"]


def seed(apps, schema_editor):
    Stage = apps.get_model("campaigns", "Stage")
    for position, name in enumerate(STAGES, start=1):
        Stage.objects.update_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
