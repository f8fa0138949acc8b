"""Input shapes (validated here) and output shapes (the contract's stage, campaign, question and lead)."""

from rest_framework import serializers

from leadsy.ids import MAX_ID

from .export import FORMATS
from .models import Campaign, Lead, Option, Question, Stage
from .selectors import DEFAULT_LEAD_ORDERING, LEAD_ORDERINGS
from .services import BULK_ACTIONS, MAX_BULK_LEAD_IDS, MAX_OPTIONS_PER_QUESTION

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


class LeadExportParamsSerializer(LeadListParamsSerializer):
    format = serializers.ChoiceField(choices=list(FORMATS), default="csv", help_text="The file's format.")


# Bounds on what one edit sends (each field's own length is the import's rule, checked by the service).
MAX_LEAD_TEXT = 10_000
MAX_EXTRA_KEYS = 200
MAX_EXTRA_KEY = 255


def _text_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=MAX_LEAD_TEXT, **kwargs)


class LeadUpdateSerializer(serializers.Serializer):
    first_name = _text_field()
    last_name = _text_field()
    email = _text_field(help_text="Lower-cased; another lead of the company with it → 422 `duplicate`.")
    phone = _text_field(help_text="Normalized to E.164 (the company's country as default region).")
    company_name = _text_field()
    job_title = _text_field()
    city = _text_field()
    country = _text_field(help_text="An ISO 3166 code or a country name (English or Spanish).")
    source = _text_field()
    notes = _text_field()
    stage_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    campaign_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="A campaign of the lead's company."
    )
    extra = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=MAX_LEAD_TEXT),
        required=False,
        help_text="Merged into the lead's extra: each key given is set, a null value removes the key.",
    )

    def validate_extra(self, value):
        if len(value) > MAX_EXTRA_KEYS:
            raise serializers.ValidationError(f"At most {MAX_EXTRA_KEYS} keys at once.")
        if any(not key or len(key) > MAX_EXTRA_KEY or "\x00" in key for key in value):
            raise serializers.ValidationError(f"Keys are 1 to {MAX_EXTRA_KEY} characters, without NUL.")
        return value


class LeadBulkFilterSerializer(LeadListParamsSerializer):
    ordering = None  # a filter, not an order


class LeadBulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(BULK_ACTIONS))
    stage_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="move_stage: the stage (null clears it).",
    )
    campaign_id = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="assign_campaign: a campaign of this company (null takes the leads out of theirs).",
    )
    lead_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_BULK_LEAD_IDS,
        allow_empty=False,
        required=False,
        help_text=f"At most {MAX_BULK_LEAD_IDS}, every one of this company. Give this or `filter`.",
    )
    filter = LeadBulkFilterSerializer(
        required=False, help_text="The list's filters: every lead the list would return. Give this or `lead_ids`."
    )

    def validate(self, attrs):
        if ("lead_ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"base": ["Give exactly one of lead_ids and filter."]})
        needs = {"move_stage": "stage_id", "assign_campaign": "campaign_id"}.get(attrs["action"])
        if needs and needs not in attrs:
            raise serializers.ValidationError({needs: [f"Required for {attrs['action']}."]})
        return attrs
