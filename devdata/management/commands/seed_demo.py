from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing import services as billing_services
from billing.models import Membership
from billing.plans import ensure_plans
from billing.selectors import current_membership
from companies import services as company_services
from companies.models import Company

DEMO_EMAIL = "demo@leadsy.local"
DEMO_PASSWORD = "leadsy-demo-2026"  # noqa: S105 - the published demo login
DEMO_COMPANY = "Demo Company"


class Command(BaseCommand):
    help = "Create the demo user and company (idempotent) and print the demo login."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never on production).")

    def handle(self, *args, **options):
        # R40: a known login and password must never appear on a production database by accident.
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo refuses to run with DEBUG off (a known demo login); pass --force to insist.")
        self._seed()

    @transaction.atomic
    def _seed(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            email=DEMO_EMAIL,
            defaults={
                "first_name": "Demo",
                "last_name": "User",
                "status": User.Status.ACTIVE,
                "is_staff": True,
                "is_superuser": True,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        company = Company.objects.filter(name=DEMO_COMPANY, user_accesses__user=user).first()
        if company is None:  # as the API creates one: owned by the user, on the free plan
            company = company_services.company_create(user=user, name=DEMO_COMPANY, country="ES")
        ensure_plans()
        pro = Membership.objects.get(name="Pro")
        if current_membership(company=company) != pro:  # the demo shows a paid plan's limits
            billing_services.membership_attach(company=company, membership=pro)
        seed_demo_campaigns(company)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD} (also an admin at /admin/); company id {company.id}"
            )
        )


# --- campaigns and leads (kept in one function so the other seed steps merge around it) ----------
DEMO_LEAD_NAMES = [
    ("Ana", "García"), ("Luis", "Martínez"), ("Marta", "López"), ("Jorge", "Sánchez"), ("Lucía", "Romero"),
    ("Pablo", "Navarro"), ("Elena", "Torres"), ("Diego", "Ruiz"), ("Sara", "Molina"), ("Hugo", "Ortega"),
    ("Irene", "Delgado"), ("Raúl", "Castro"), ("Nuria", "Vidal"), ("Álvaro", "Ramos"), ("Paula", "Gil"),
    ("Sergio", "Serrano"), ("Carmen", "Blanco"), ("Iván", "Suárez"), ("Laura", "Iglesias"), ("Óscar", "Cano"),
]  # fmt: skip


def seed_demo_campaigns(company) -> None:
    """Two campaigns (one with questions) and 20 leads in the demo company; running it again adds nothing."""
    import datetime

    from campaigns.models import Campaign, Lead, Question, Stage
    from campaigns.services import campaign_create, question_create

    fair = Campaign.objects.filter(company=company, name="Spring fair 2026").first()
    if fair is None:
        fair = campaign_create(
            company=company,
            name="Spring fair 2026",
            starts_on=datetime.date(2026, 3, 1),
            ends_on=datetime.date(2026, 5, 31),
            status=Campaign.Status.ACTIVE,
        )
    if not fair.questions.exists():
        question_create(
            campaign=fair,
            text="What is your budget?",
            kind=Question.Kind.SINGLE_CHOICE,
            required=True,
            options=[
                {"label": "< 10k", "value": "lt10k"},
                {"label": "10k - 50k", "value": "10k-50k"},
                {"label": "> 50k", "value": "gt50k"},
            ],
        )
        question_create(campaign=fair, text="How many employees?", kind=Question.Kind.NUMBER)
        question_create(campaign=fair, text="Anything else we should know?", kind=Question.Kind.TEXT)
    if not Campaign.objects.filter(company=company, name="Webinar leads").exists():
        campaign_create(company=company, name="Webinar leads", status=Campaign.Status.DRAFT)

    stages = list(Stage.objects.order_by("position"))
    for index, (first_name, last_name) in enumerate(DEMO_LEAD_NAMES):
        Lead.objects.get_or_create(
            company=company,
            email=f"demo.lead{index + 1}@example.com",
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "phone": f"+3461200{index + 1:04d}",
                "company_name": ["Acme", "Initech", "Globex", "Umbrella"][index % 4],
                "city": "Madrid",
                "country": "ES",
                "source": "seed",
                "campaign": fair if index % 2 == 0 else None,
                "stage": stages[index % len(stages)] if stages else None,
            },
        )
