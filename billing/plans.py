"""The plans Leadsy sells: reference data, seeded by migration 0002 and restorable with `ensure_plans()`."""

# name, price_cents, max_users, max_leads_per_import, features, is_free
PLANS = [
    ("Free", 0, 3, 1_000, ["imports", "campaigns"], True),
    ("Pro", 4_900, 10, 100_000, ["imports", "campaigns", "cycles"], False),
    ("Business", 19_900, 50, 1_048_576, ["imports", "campaigns", "cycles", "priority_support"], False),
]


def ensure_plans(membership_model=None) -> None:
    """Create any missing plan (existing rows are left as the back office edited them)."""
    if membership_model is None:
        from .models import Membership as membership_model
    for name, price_cents, max_users, max_leads, features, is_free in PLANS:
        membership_model.objects.get_or_create(
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
