"""Every email leaves through Celery after commit (leadsy/mail.py), rendered from text + HTML templates."""

from pathlib import Path

import pytest

from leadsy.mail import render_email

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    str(path.relative_to(path.parents[2]).with_suffix("")).removesuffix("_subject")
    for path in ROOT.glob("*/templates/*/email/*_subject.txt")
)


@pytest.mark.django_db
def test_an_email_is_queued_on_commit_and_sent_by_the_task(api_client, sent_mail, django_capture_on_commit_callbacks):
    from django.core import mail

    body = {"first_name": "Ana", "last_name": "G", "email": "ana@example.com"}
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.post("/api/v1/users", body, format="json").status_code == 201
    assert mail.outbox == []  # the request only queued it
    [message] = sent_mail()  # the task, run from its broker message
    assert message.to == ["ana@example.com"] and message.subject == "Set your Leadsy password"


@pytest.mark.django_db
def test_a_rolled_back_change_queues_no_email(client_for, owner, sent_mail, django_capture_on_commit_callbacks):
    from billing.services import subscribe_free
    from tests.factories import UserAccessFactory, access

    subscribe_free(company=owner.company)  # Free: 3 users
    UserAccessFactory.create_batch(2, company=owner.company, access=access("agent"))
    grant = [{"company_id": owner.company.id, "access_id": access("agent").id}]
    body = {"first_name": "Ana", "last_name": "G", "email": "ana@example.com", "user_accesses_attributes": grant}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert client_for(owner).post("/api/v1/users", body, format="json").status_code == 422
    assert callbacks == [] and sent_mail() == []


def test_every_email_has_its_three_templates():
    assert {
        "accounts/email/password",
        "accounts/email/verify_email",
        "accounts/email/email_change_confirm",
        "accounts/email/email_change_notice",
        "companies/email/invitation",
    } <= set(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_each_template_renders_a_subject_a_text_and_an_html_part(template):
    context = {
        "first_name": "Ana", "email": "a@example.com", "old_email": "a@example.com", "new_email": "b@example.com",
        "link": "https://app.example.com/x?uid=1&token=t", "reset_link": "https://app.example.com/r",
        "valid_days": 3, "setting": False, "inviter": "Bo", "company_name": "Acme & Co", "access_name": "agent",
        "code": "c0de", "expires_at": "2026-12-08 10:00",
    }  # fmt: skip
    message = render_email(to="a@example.com", template=template, context=context)
    assert message.subject and "\n" not in message.subject
    assert "https://app.example.com/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and html.lstrip().startswith("<!doctype html>")
    assert "&amp;" in html or "Acme" not in html  # the HTML part escapes what it shows
