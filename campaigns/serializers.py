"""Input shapes (validated here) and output shapes (the contract's stage, campaign, question and lead)."""

from rest_framework import serializers

from leadsy.ids import MAX_ID

from .models import Campaign, Lead, Option, Question, Stage
from .selectors import DEFAULT_LEAD_ORDERING, LEAD_ORDERINGS
from .services import MAX_OPTIONS_PER_QUESTION

MAX_QUESTIONS_PER_REQUEST = 100


# --- output -------------------------------------------------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = ["id", "name", "position"]
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):
    questions_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "company_id", "name", "status", "starts_on", "ends_on", "questions_count", "created_at"]
        read_only_fields = fields


class OptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Option
        fields = ["id", "label", "value", "position"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = ["id", "campaign_id", "text", "kind", "required", "position", "options"]
        read_only_fields = fields


class LeadSerializer(serializers.ModelSerializer):
    stage = StageSerializer(read_only=True, allow_null=True)
    email = serializers.CharField(read_only=True, allow_null=True)
    phone = serializers.CharField(read_only=True, allow_null=True, help_text="E.164, e.g. +34612345678.")
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2, or empty.")
    extra = serializers.DictField(read_only=True, help_text="Columns of the imported file that map to no field.")
    import_code = serializers.CharField(
        read_only=True, allow_null=True, help_text="The import this lead came from, or null."
    )

    class Meta:
        model = Lead
        fields = [
            "id", "company_id", "campaign_id", "stage", "first_name", "last_name", "email", "phone",
            "company_name", "job_title", "city", "country", "source", "notes", "extra", "import_code", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


# --- input --------------------------------------------------------------------------------------


class CampaignListParamsSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Campaign.Status.choices, required=False)


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        starts_on, ends_on = attrs.get("starts_on"), attrs.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError({"ends_on": ["Must be on or after starts_on."]})
        return attrs


class OptionCreateSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=255)
    value = serializers.CharField(max_length=255)
    position = serializers.IntegerField(
        min_value=1, max_value=MAX_OPTIONS_PER_QUESTION, required=False, help_text="From 1; the end when absent."
    )


class QuestionCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    required = serializers.BooleanField(default=False)
    position = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Where to insert the question (from 1); later questions move down. The end when absent.",
    )
    options_attributes = OptionCreateSerializer(
        many=True,
        required=False,
        default=list,
        help_text="Choice kinds need at least one option; text and number questions take none.",
    )


class OptionAttributesSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, help_text="An option of this question to change or remove; absent to add one."
    )
    label = serializers.CharField(max_length=255, required=False, help_text="Required for a new option.")
    value = serializers.CharField(max_length=255, required=False, help_text="Required for a new option.")
    position = serializers.IntegerField(
        min_value=1,
        max_value=MAX_OPTIONS_PER_QUESTION,
        required=False,
        help_text="Must not equal another option's final position; positions are then renumbered 1..n.",
    )
    _destroy = serializers.BooleanField(required=False, default=False, help_text="Remove the option given by `id`.")


class QuestionOptionsSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="A question of this campaign.")
    options_attributes = OptionAttributesSerializer(many=True, max_length=MAX_OPTIONS_PER_QUESTION * 2)


class QuestionOptionsBulkUpdateSerializer(serializers.Serializer):
    questions = QuestionOptionsSerializer(many=True, max_length=MAX_QUESTIONS_PER_REQUEST)


class LeadListParamsSerializer(serializers.Serializer):
    stage_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    campaign_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    import_code = serializers.CharField(max_length=64, required=False)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ordering = serializers.ChoiceField(choices=list(LEAD_ORDERINGS), default=DEFAULT_LEAD_ORDERING)
