from django.db import migrations, models


def verify_invitation_acceptors(apps, schema_editor):
    """Users who accepted an emailed invitation proved their mailbox; nobody else can be told apart.

    Users who signed up with a password were never asked to prove their address, so they start
    unverified (and can ask for a link with POST /users/verify_email/resend).
    """
    User = apps.get_model("accounts", "User")
    Invitation = apps.get_model("companies", "Invitation")
    accepted = Invitation.objects.filter(accepted_by__isnull=False).values("accepted_by_id")
    User.objects.filter(pk__in=accepted).update(email_verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("companies", "0003_cycles_and_invitations"),
    ]

    operations = [
        migrations.AddField(model_name="user", name="email_verified", field=models.BooleanField(default=False)),
        migrations.RunPython(verify_invitation_acceptors, migrations.RunPython.noop),
    ]
