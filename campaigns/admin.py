from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, F

from leadsy.admin_filters import search_filter

from .models import Campaign, Lead, LeadSearch, LeadSearchPending, Option, Question, Stage
from .search import lead_search_refresh
from .services import leads_move_to_stage, renumber_positions

HIGH = 1_000_000  # above any real position: rows wait there while the forms take their new places


class PositionedFormSet(forms.BaseInlineFormSet):
    """Inline rows with a 1..n `position`: two rows may not ask for one place; saving renumbers them all.

    Positions are unique in the database, so rows are lifted out of the way before the forms are saved.
    """

    def kept_forms(self):
        return [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
            if getattr(form, "cleaned_data", None)
        ]

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["position"].required = False
        form.fields["position"].help_text = "Empty: at the end."

    def clean(self):
        super().clean()
        seen = set()
        for form in self.kept_forms():
            position = form.cleaned_data.get("position")
            if position is not None and position in seen:
                form.add_error("position", "Another row has this position.")
            seen.add(position)

    def save_in_order(self) -> None:
        model = self.model
        parent = {self.fk.name: self.instance}
        # What the admin's change message reads from a saved formset.
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        with transaction.atomic():
            model.objects.filter(**parent).update(position=F("position") + HIGH)
            for form in self.deleted_forms:
                if form.instance.pk:
                    self.deleted_objects.append(form.instance)
                    form.instance.delete()
            wanted = {}
            for index, form in enumerate(self.kept_forms(), start=1):
                if form.has_changed() or not form.instance.pk:
                    is_new = not form.instance.pk
                    position = form.cleaned_data.get("position")
                    obj = form.save(commit=False)
                    setattr(obj, self.fk.name, self.instance)
                    obj.position = 2 * HIGH + index
                    obj.save()
                    wanted[obj.pk] = position
                    if is_new:
                        self.new_objects.append(obj)
                    else:
                        self.changed_objects.append((obj, form.changed_data))
            rows = list(model.objects.filter(**parent))
            for row in rows:
                wanted.setdefault(row.pk, row.position - HIGH)
            rows.sort(key=lambda row: (wanted[row.pk] is None, wanted[row.pk] or 0, row.pk))
            renumber_positions(model, rows)


class OptionFormSet(PositionedFormSet):
    def clean(self):
        super().clean()
        question = self.instance
        count = len(self.kept_forms())
        if question.kind in Question.CHOICE_KINDS and count == 0:
            raise forms.ValidationError("A choice question needs at least one option.")
        if question.kind not in Question.CHOICE_KINDS and count:
            raise forms.ValidationError(f"A {question.kind} question takes no options.")
        values = [form.cleaned_data.get("value") for form in self.kept_forms()]
        if len(set(values)) != len(values):
            raise forms.ValidationError("Two options have the same value.")


class QuestionFormSet(PositionedFormSet):
    def clean(self):
        super().clean()
        for form in self.kept_forms():
            kind, question = form.cleaned_data.get("kind"), form.instance
            if kind in Question.CHOICE_KINDS and not (question.pk and question.options.exists()):
                form.add_error("kind", "Add a choice question from its own page, where its options are.")
            elif kind not in Question.CHOICE_KINDS and question.pk and question.options.exists():
                form.add_error("kind", "Remove the options on the question's page first.")


class QuestionInline(admin.TabularInline):
    model = Question
    formset = QuestionFormSet
    fields = ["position", "text", "kind", "required", "option_labels"]
    readonly_fields = ["option_labels"]
    ordering = ["position"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("options")

    @admin.display(description="options")
    def option_labels(self, question):
        return ", ".join(option.label for option in sorted(question.options.all(), key=lambda o: o.position))


class OptionInline(admin.TabularInline):
    model = Option
    formset = OptionFormSet
    fields = ["position", "label", "value"]
    ordering = ["position"]
    extra = 0


class PositionedAdmin(admin.ModelAdmin):
    def save_formset(self, request, form, formset, change):
        if isinstance(formset, PositionedFormSet):
            formset.save_in_order()
        else:
            super().save_formset(request, form, formset, change)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["position", "name"]
    ordering = ["position"]


@admin.register(Campaign)
class CampaignAdmin(PositionedAdmin):
    list_display = ["name", "company", "status", "starts_on", "ends_on", "questions_count", "created_at"]
    list_filter = ["status", ("company", search_filter("name"))]
    search_fields = ["name", "company__name"]
    list_select_related = ["company"]
    raw_id_fields = ["company"]
    date_hierarchy = "created_at"
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(questions_count=Count("questions"))

    @admin.display(ordering="questions_count", description="questions")
    def questions_count(self, campaign):
        return campaign.questions_count


@admin.register(Question)
class QuestionAdmin(PositionedAdmin):
    list_display = ["text", "campaign", "kind", "required", "position"]
    list_filter = ["kind", "required"]
    search_fields = ["text", "campaign__name"]
    list_select_related = ["campaign"]
    raw_id_fields = ["campaign"]
    ordering = ["campaign", "position"]
    inlines = [OptionInline]

    # The position belongs to the campaign's ordering: a new question goes last, and the campaign's
    # page reorders them.
    readonly_fields = ["position"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        with transaction.atomic():
            Campaign.objects.select_for_update().filter(pk=obj.campaign_id).first()
            siblings = list(Question.objects.filter(campaign=obj.campaign).order_by("position"))
            obj.position = (siblings[-1].position if siblings else 0) + 1
            obj.save()
        return None


class MoveToStageForm(admin.helpers.ActionForm):
    stage = forms.ModelChoiceField(Stage.objects.order_by("position"), required=False, empty_label="(no stage)")


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = [
        "id", "email", "phone", "first_name", "last_name", "company_name",
        "company", "stage", "campaign", "source", "import_file", "created_at",
    ]  # fmt: skip
    # Search boxes, not lists: RelatedOnlyFieldListFilter ran a DISTINCT over every lead to build each list, and
    # so did a list of every `source` and the date hierarchy's dates; sources are searched and dates filtered by
    # fixed ranges instead.
    list_filter = [
        ("company", search_filter("name")),
        "stage",
        ("campaign", search_filter("name")),
        ("import_file", search_filter("import_code", "original_name")),
        "created_at",
    ]
    show_full_result_count = False
    search_fields = [
        "email", "phone", "first_name", "last_name", "company_name", "source", "import_file__import_code",
    ]  # fmt: skip
    list_select_related = ["company", "stage", "campaign", "import_file"]
    raw_id_fields = ["company", "campaign", "import_file"]
    readonly_fields = ["created_at", "updated_at"]
    action_form = MoveToStageForm
    actions = ["move_to_stage"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            lead_search_refresh(lead_ids=[obj.pk])  # `?q=` finds the lead by what it is now

    @admin.action(description="Move selected leads to the stage chosen above")
    def move_to_stage(self, request, queryset):
        stage = MoveToStageForm(request.POST).fields["stage"].clean(request.POST.get("stage") or None)
        moved = leads_move_to_stage(leads=queryset, stage=stage)
        self.message_user(request, f"{moved} lead(s) moved to {stage or 'no stage'}.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Derived rows, written by campaigns/search.py only: to look at while investigating a search."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LeadSearch)
class LeadSearchAdmin(ReadOnlyAdmin):
    list_display = ["lead_id", "company_id", "document"]
    # Exact ids only: a LIKE over every document of every company is what the trigram index is not for here.
    search_fields = ["=lead__id", "=company_id"]
    raw_id_fields = ["lead"]


@admin.register(LeadSearchPending)
class LeadSearchPendingAdmin(ReadOnlyAdmin):
    list_display = ["id", "company_id", "first_lead_id", "last_lead_id", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["=company_id"]
