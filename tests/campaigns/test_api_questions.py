import pytest

from campaigns.models import Option, Question
from tests.factories import CampaignFactory, OptionFactory, QuestionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(owner):
    return CampaignFactory(company=owner.company)


def choice_question(campaign, labels=("A", "B")):
    question = QuestionFactory(campaign=campaign, kind=Question.Kind.SINGLE_CHOICE)
    for label in labels:
        OptionFactory(question=question, label=label, value=label.lower())
    return question


def positions(campaign):
    return list(Question.objects.filter(campaign=campaign).order_by("position").values_list("text", "position"))


def option_rows(question):
    return list(question.options.order_by("position").values_list("label", "value", "position"))


def snapshot():
    return (
        list(Question.objects.order_by("pk").values_list("pk", "text", "kind", "position")),
        list(Option.objects.order_by("pk").values_list("pk", "question_id", "label", "value", "position")),
    )


class TestList:
    def test_lists_questions_by_position_with_their_options(self, client_for, owner, campaign, company_member):
        text = QuestionFactory(campaign=campaign, text="Why?")
        budget = choice_question(campaign, labels=("< 10k", ">= 10k"))
        QuestionFactory(text="Elsewhere?")
        agent = company_member(owner.company, "agent")

        response = client_for(agent).get(f"/api/v1/campaigns/{campaign.id}/questions")

        assert response.status_code == 200
        body = response.json()
        assert [question["id"] for question in body["questions"]] == [text.id, budget.id]
        assert body["questions"][0] == {
            "id": text.id, "campaign_id": campaign.id, "text": "Why?", "kind": "text",
            "required": False, "position": 1, "options": [],
        }  # fmt: skip
        assert [option["label"] for option in body["questions"][1]["options"]] == ["< 10k", ">= 10k"]
        assert set(body["questions"][1]["options"][0]) == {"id", "label", "value", "position"}
        assert body["meta"]["total_count"] == 2

    def test_outsider_gets_404(self, client_for, campaign, outsider):
        assert client_for(outsider).get(f"/api/v1/campaigns/{campaign.id}/questions").status_code == 404

    @pytest.mark.parametrize("per_page", [1, 100])
    def test_costs_constant_queries(self, client_for, owner, campaign, django_assert_max_num_queries, per_page):
        for _ in range(100):
            choice_question(campaign, labels=("A", "B", "C"))
        client = client_for(owner)
        with django_assert_max_num_queries(7):
            response = client.get(f"/api/v1/campaigns/{campaign.id}/questions?per_page={per_page}")
        assert len(response.json()["questions"]) == per_page


class TestShow:
    def test_shows_a_question(self, client_for, owner, campaign):
        question = choice_question(campaign)
        response = client_for(owner).get(f"/api/v1/questions/{question.id}")
        assert response.status_code == 200
        assert response.json()["question"]["id"] == question.id
        assert [option["value"] for option in response.json()["question"]["options"]] == ["a", "b"]

    def test_outsider_gets_the_same_404_as_a_missing_question(self, client_for, campaign, outsider):
        question = QuestionFactory(campaign=campaign)
        hidden = client_for(outsider).get(f"/api/v1/questions/{question.id}")
        missing = client_for(outsider).get(f"/api/v1/questions/{question.id + 1000}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


class TestCreate:
    def url(self, campaign):
        return f"/api/v1/campaigns/{campaign.id}/questions"

    def test_creates_a_choice_question_with_options_in_order(self, client_for, owner, campaign):
        body = {
            "text": "Budget?", "kind": "single_choice", "required": True,
            "options_attributes": [
                {"label": ">= 10k", "value": "gte10k", "position": 2},
                {"label": "< 10k", "value": "lt10k", "position": 1},
            ],
        }  # fmt: skip
        response = client_for(owner).post(self.url(campaign), body, format="json")

        assert response.status_code == 201
        question = response.json()["question"]
        assert question["kind"] == "single_choice"
        assert question["required"] is True
        assert question["position"] == 1
        assert [(o["label"], o["position"]) for o in question["options"]] == [("< 10k", 1), (">= 10k", 2)]

    def test_text_question_goes_last_by_default(self, client_for, owner, campaign):
        QuestionFactory.create_batch(2, campaign=campaign)
        response = client_for(owner).post(self.url(campaign), {"text": "Notes?", "kind": "text"}, format="json")
        assert response.status_code == 201
        assert response.json()["question"]["position"] == 3
        assert response.json()["question"]["options"] == []

    def test_position_inserts_and_renumbers(self, client_for, owner, campaign):
        QuestionFactory(campaign=campaign, text="one")
        QuestionFactory(campaign=campaign, text="two")
        response = client_for(owner).post(
            self.url(campaign), {"text": "first", "kind": "number", "position": 1}, format="json"
        )
        assert response.status_code == 201
        assert positions(campaign) == [("first", 1), ("one", 2), ("two", 3)]

    def test_position_past_the_end_goes_last(self, client_for, owner, campaign):
        QuestionFactory(campaign=campaign, text="one")
        client_for(owner).post(self.url(campaign), {"text": "last", "kind": "text", "position": 99}, format="json")
        assert positions(campaign) == [("one", 1), ("last", 2)]

    def test_agent_gets_403(self, client_for, owner, campaign, company_member):
        agent = company_member(owner.company, "agent")
        response = client_for(agent).post(self.url(campaign), {"text": "?", "kind": "text"}, format="json")
        assert response.status_code == 403
        assert not Question.objects.exists()

    def test_outsider_gets_404(self, client_for, campaign, outsider):
        response = client_for(outsider).post(self.url(campaign), {"text": "?", "kind": "text"}, format="json")
        assert response.status_code == 404
        assert not Question.objects.exists()

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"kind": "text"}, "text"),
            ({"text": "?", "kind": "essay"}, "kind"),
            ({"text": "?", "kind": "text", "options_attributes": [{"label": "A", "value": "a"}]}, "options_attributes"),
            ({"text": "?", "kind": "single_choice"}, "options_attributes"),
            ({"text": "?", "kind": "multiple_choice", "options_attributes": []}, "options_attributes"),
            ({"text": "?", "kind": "single_choice", "options_attributes": [{"label": "A"}]}, "options_attributes"),
            (
                {
                    "text": "?", "kind": "single_choice",
                    "options_attributes": [
                        {"label": "A", "value": "a", "position": 1}, {"label": "B", "value": "b", "position": 1},
                    ],
                },
                "options_attributes",
            ),
            (
                {"text": "?", "kind": "single_choice",
                 "options_attributes": [{"label": "A", "value": "a"}, {"label": "B", "value": "a"}]},
                "options_attributes",
            ),
            ({"text": "?", "kind": "text", "position": 0}, "position"),
        ],
    )  # fmt: skip
    def test_bad_input_is_422_and_creates_nothing(self, client_for, owner, campaign, body, field):
        response = client_for(owner).post(self.url(campaign), body, format="json")
        assert response.status_code == 422
        assert field in response.json()["errors"]
        assert not Question.objects.exists()
        assert not Option.objects.exists()

    def test_position_clash_names_the_option(self, client_for, owner, campaign):
        body = {
            "text": "?", "kind": "single_choice",
            "options_attributes": [
                {"label": "A", "value": "a", "position": 1}, {"label": "B", "value": "b", "position": 1},
            ],
        }  # fmt: skip
        errors = client_for(owner).post(self.url(campaign), body, format="json").json()["errors"]
        assert errors["options_attributes"][0] == {}
        assert "position" in errors["options_attributes"][1]


class TestBulkOptions:
    def url(self, campaign):
        return f"/api/v1/campaigns/{campaign.id}/questions/options"

    def test_adds_changes_moves_and_removes_options_across_questions(self, client_for, owner, campaign):
        budget = choice_question(campaign, labels=("A", "B", "C"))
        size = choice_question(campaign, labels=("S", "M"))
        notes = QuestionFactory(campaign=campaign)
        a, _b, c = budget.options.order_by("position")
        s, m = size.options.order_by("position")
        body = {
            "questions": [
                {
                    "id": budget.id,
                    "options_attributes": [
                        {"id": a.id, "_destroy": True},
                        {"id": c.id, "position": 1, "label": "C!"},
                        {"label": "D", "value": "d"},
                    ],
                },
                {"id": size.id, "options_attributes": [{"id": s.id, "position": 3}, {"id": m.id, "position": 1}]},
            ]
        }

        response = client_for(owner).put(self.url(campaign), body, format="json")

        assert response.status_code == 200, response.json()
        assert option_rows(budget) == [("C!", "c", 1), ("B", "b", 2), ("D", "d", 3)]
        assert option_rows(size) == [("M", "m", 1), ("S", "s", 2)]
        payload = response.json()
        assert [question["id"] for question in payload["questions"]] == [budget.id, size.id, notes.id]
        assert [option["label"] for option in payload["questions"][0]["options"]] == ["C!", "B", "D"]
        assert payload["meta"]["total_count"] == 3
        assert not Option.objects.filter(pk=a.pk).exists()
        assert Option.objects.filter(pk=c.pk, label="C!").exists()  # changed in place, same id

    @pytest.mark.parametrize(
        "case",
        [
            "question_of_another_campaign",
            "unknown_question",
            "option_of_another_question",
            "options_on_a_text_question",
            "empty_choice_question",
            "position_clash_with_an_option_left_in_place",
            "position_clash_within_the_request",
            "new_option_without_value",
            "duplicate_value",
            "same_question_twice",
        ],
    )
    def test_bad_input_is_422_and_changes_nothing(self, client_for, owner, campaign, case):
        budget = choice_question(campaign, labels=("A", "B"))
        notes = QuestionFactory(campaign=campaign)
        other = choice_question(CampaignFactory(company=owner.company), labels=("X",))
        a, b = budget.options.order_by("position")
        valid = {"id": budget.id, "options_attributes": [{"id": a.id, "label": "A2"}]}
        bad = {
            "question_of_another_campaign": {"id": other.id, "options_attributes": []},
            "unknown_question": {"id": 10**12, "options_attributes": []},
            "option_of_another_question": {
                "id": budget.id, "options_attributes": [{"id": other.options.get().id, "label": "stolen"}],
            },
            "options_on_a_text_question": {"id": notes.id, "options_attributes": [{"label": "Z", "value": "z"}]},
            "empty_choice_question": {
                "id": budget.id, "options_attributes": [{"id": a.id, "_destroy": True}, {"id": b.id, "_destroy": True}],
            },
            "position_clash_with_an_option_left_in_place": {
                "id": budget.id, "options_attributes": [{"label": "New", "value": "new", "position": 2}],
            },
            "position_clash_within_the_request": {
                "id": budget.id,
                "options_attributes": [{"id": a.id, "position": 2}, {"id": b.id, "position": 2}],
            },
            "new_option_without_value": {"id": budget.id, "options_attributes": [{"label": "Z"}]},
            "duplicate_value": {"id": budget.id, "options_attributes": [{"label": "Z", "value": "a"}]},
            "same_question_twice": valid,
        }[case]  # fmt: skip
        before = snapshot()

        response = client_for(owner).put(self.url(campaign), {"questions": [valid, bad]}, format="json")

        assert response.status_code == 422
        errors = response.json()["errors"]["questions"]
        assert errors[0] == {}
        assert errors[1]
        assert snapshot() == before

    def test_question_of_another_campaign_says_why(self, client_for, owner, campaign):
        other = QuestionFactory(campaign=CampaignFactory(company=owner.company))
        response = client_for(owner).put(
            self.url(campaign), {"questions": [{"id": other.id, "options_attributes": []}]}, format="json"
        )
        assert response.json()["errors"] == {"questions": [{"id": ["Not a question of this campaign."]}]}

    def test_agent_gets_403(self, client_for, owner, campaign, company_member):
        question = choice_question(campaign)
        body = {"questions": [{"id": question.id, "options_attributes": [{"label": "Z", "value": "z"}]}]}
        agent = company_member(owner.company, "agent")
        assert client_for(agent).put(self.url(campaign), body, format="json").status_code == 403
        assert question.options.count() == 2

    def test_outsider_gets_404(self, client_for, campaign, outsider):
        question = choice_question(campaign)
        body = {"questions": [{"id": question.id, "options_attributes": [{"label": "Z", "value": "z"}]}]}
        assert client_for(outsider).put(self.url(campaign), body, format="json").status_code == 404
        assert question.options.count() == 2

    def test_missing_questions_is_422(self, client_for, owner, campaign):
        response = client_for(owner).put(self.url(campaign), {}, format="json")
        assert response.status_code == 422
        assert "questions" in response.json()["errors"]
