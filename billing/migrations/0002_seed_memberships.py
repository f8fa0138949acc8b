from django.db import migrations
from django.utils import timezone

from billing.plans import ensure_plans


def seed(apps, schema_editor):
    Membership = apps.get_model("billing", "Membership")
    ensure_plans(Membership)
    # Companies created before billing existed start on the free plan too.
    Company = apps.get_model("companies", "Company")
    Subscription = apps.get_model("billing", "Subscription")
    free = Membership.objects.get(is_free=True)
    for company in Company.objects.exclude(subscriptions__status="active"):
        Subscription.objects.create(company=company, membership=free, started_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_memberships_and_subscriptions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
