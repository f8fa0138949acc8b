import pytest

from campaigns.models import Lead, Question
from tests.factories import CampaignFactory, LeadFactory, OptionFactory, QuestionFactory, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def test_lead_list_filters_and_searches_without_n_plus_one(staff, django_assert_max_num_queries):
    campaign = CampaignFactory()
    for index in range(30):
        LeadFactory(company=campaign.company, campaign=campaign, stage=stage("New"), email=f"x{index}@example.com")
    target = LeadFactory(company=campaign.company, email="needle@example.com", source="fair")
    with django_assert_max_num_queries(20):
        response = staff.get("/admin/campaigns/lead/")
    assert response.status_code == 200
    response = staff.get(f"/admin/campaigns/lead/?q=needle&source=fair&company__id__exact={campaign.company_id}")
    assert response.status_code == 200
    assert target.email in response.content.decode()
    assert "x1@example.com" not in response.content.decode()


def test_lead_list_query_count_does_not_grow_with_rows(staff, django_assert_max_num_queries):
    campaign = CampaignFactory()
    LeadFactory(company=campaign.company, campaign=campaign, stage=stage("New"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        staff.get("/admin/campaigns/lead/")
    for _ in range(40):
        LeadFactory(company=campaign.company, campaign=campaign, stage=stage("Won"))
    with django_assert_max_num_queries(len(one)):
        assert staff.get("/admin/campaigns/lead/").status_code == 200


def test_bulk_move_to_stage(staff):
    leads = LeadFactory.create_batch(3)
    won = stage("Won")
    response = staff.post(
        "/admin/campaigns/lead/",
        {"action": "move_to_stage", "stage": won.id, "_selected_action": [lead.id for lead in leads[:2]]},
    )
    assert response.status_code == 302
    assert set(Lead.objects.filter(stage=won).values_list("id", flat=True)) == {leads[0].id, leads[1].id}
    assert Lead.objects.get(pk=leads[2].pk).stage is None


def test_campaign_page_shows_questions_with_options_in_order(staff):
    campaign = CampaignFactory()
    second = QuestionFactory(campaign=campaign, text="Second?", kind=Question.Kind.SINGLE_CHOICE, position=2)
    QuestionFactory(campaign=campaign, text="First?", position=1)
    OptionFactory(question=second, label="Yes")
    body = staff.get(f"/admin/campaigns/campaign/{campaign.id}/change/").content.decode()
    assert body.index("First?") < body.index("Second?")
    assert "Yes" in body
    assert staff.get("/admin/campaigns/campaign/?q=" + campaign.name).status_code == 200


def _inline_post(prefix, rows, **extra):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def test_swapping_option_positions_in_the_admin_renumbers(staff):
    question = QuestionFactory(kind=Question.Kind.SINGLE_CHOICE)
    a = OptionFactory(question=question, label="A", value="a")
    b = OptionFactory(question=question, label="B", value="b")
    data = _inline_post(
        "options",
        [
            {"id": a.id, "question": question.id, "position": 2, "label": "A", "value": "a"},
            {"id": b.id, "question": question.id, "position": 1, "label": "B", "value": "b"},
            {"question": question.id, "position": "", "label": "C", "value": "c"},
        ],
        campaign=question.campaign_id, text=question.text, kind=question.kind,
    )  # fmt: skip
    response = staff.post(f"/admin/campaigns/question/{question.id}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(question.options.order_by("position").values_list("label", "position")) == [
        ("B", 1), ("A", 2), ("C", 3),
    ]  # fmt: skip


def test_admin_refuses_options_on_a_text_question(staff):
    question = QuestionFactory(kind=Question.Kind.TEXT)
    data = _inline_post(
        "options",
        [{"question": question.id, "position": "", "label": "C", "value": "c"}],
        campaign=question.campaign_id, text=question.text, kind=question.kind,
    )  # fmt: skip
    response = staff.post(f"/admin/campaigns/question/{question.id}/change/", data)
    assert response.status_code == 200
    assert "takes no options" in response.content.decode()
    assert not question.options.exists()


def test_a_question_added_in_the_admin_goes_last_with_its_options(staff):
    campaign = CampaignFactory()
    QuestionFactory(campaign=campaign, text="Existing?")
    data = _inline_post(
        "options",
        [{"position": "", "label": "Yes", "value": "yes"}, {"position": "", "label": "No", "value": "no"}],
        campaign=campaign.id, text="New?", kind="single_choice",
    )  # fmt: skip
    assert staff.get("/admin/campaigns/question/add/").status_code == 200
    response = staff.post("/admin/campaigns/question/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get(text="New?")
    assert question.position == 2
    assert list(question.options.values_list("label", "position")) == [("Yes", 1), ("No", 2)]


def test_reordering_questions_on_the_campaign_page(staff):
    campaign = CampaignFactory()
    first = QuestionFactory(campaign=campaign, text="First?")
    second = QuestionFactory(campaign=campaign, text="Second?")
    data = _inline_post(
        "questions",
        [
            {"id": first.id, "campaign": campaign.id, "position": 2, "text": "First?", "kind": "text"},
            {"id": second.id, "campaign": campaign.id, "position": 1, "text": "Second?", "kind": "text"},
        ],
        company=campaign.company_id, name=campaign.name, status=campaign.status,
        created_at_0="", created_at_1="",
    )  # fmt: skip
    response = staff.post(f"/admin/campaigns/campaign/{campaign.id}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(campaign.questions.order_by("position").values_list("text", flat=True)) == ["Second?", "First?"]
