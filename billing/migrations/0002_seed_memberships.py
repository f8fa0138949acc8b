from django.db import migrations
from django.utils import timezone

PLANS = [
    # name, price_cents, max_users, max_leads_per_import, features, is_free
    ("Free", 0, 3, 1_000, ["imports", "campaigns"], True),
    ("Pro", 4_900, 10, 100_000, ["imports", "campaigns", "cycles"], False),
    ("Business", 19_900, 50, 1_048_576, ["imports", "campaigns", "cycles", "priority_support"], False),
]


def seed(apps, schema_editor):
    Membership = apps.get_model("billing", "Membership")
    for name, price_cents, max_users, max_leads, features, is_free in PLANS:
        Membership.objects.update_or_create(
            name=name,
            defaults={
                "price_cents": price_cents,
                "currency": "USD",
                "interval": "month",
                "max_users": max_users,
                "max_leads_per_import": max_leads,
                "features": features,
                "is_free": is_free,
            },
        )
    # Companies created before billing existed start on the free plan too.
    Company = apps.get_model("companies", "Company")
    Subscription = apps.get_model("billing", "Subscription")
    free = Membership.objects.get(is_free=True)
    for company in Company.objects.exclude(subscriptions__status="active"):
        Subscription.objects.create(company=company, membership=free, started_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_memberships_and_subscriptions")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
