"""Admin list filters that stay fast for a big tenant.

Django's `RelatedFieldListFilter` lists every company (or user) in the sidebar, and `RelatedOnlyFieldListFilter`
first runs a DISTINCT over the whole filtered table (every lead) to find which ones occur. `RelatedSearchFilter`
lists nothing: it is a search box. An id selects that object; text finds the objects whose `search_fields` match
(a company's name, a user's email) and filters by them. The change list's own links (`?company__id__exact=3`)
keep working.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Q


class RelatedSearchFilter(admin.FieldListFilter):
    template = "admin/leadsy/related_search_filter.html"
    search_fields: tuple[str, ...] = ("pk",)
    max_matches = 50  # a search that matches more is too vague to filter on: say so instead of listing them

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.id_kwarg = f"{field_path}__id__exact"
        self.search_kwarg = f"{field_path}__search"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.related_model = field.related_model
        self.id_value = _last(self.used_parameters.get(self.id_kwarg))
        self.search_value = (_last(self.used_parameters.get(self.search_kwarg)) or "").strip()

    def expected_parameters(self):
        return [self.id_kwarg, self.search_kwarg]

    def has_output(self):
        return True

    def _matches(self):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": self.search_value})
        if self.search_value.isdigit():
            condition |= Q(pk=int(self.search_value))
        return self.related_model._default_manager.filter(condition).values_list("pk", flat=True)

    def queryset(self, request, queryset):
        if self.id_value not in (None, ""):
            try:
                return queryset.filter(**{self.id_kwarg: int(self.id_value)})
            except (TypeError, ValueError):
                raise IncorrectLookupParameters(f"{self.id_kwarg} must be an id") from None
        if self.search_value:
            matches = list(self._matches()[: self.max_matches + 1])
            if len(matches) > self.max_matches:
                matches = matches[: self.max_matches]
            return queryset.filter(**{f"{self.field_path}__in": matches})
        return queryset

    def choices(self, changelist):
        selected = None
        if self.id_value not in (None, "") and str(self.id_value).isdigit():
            selected = self.related_model._default_manager.filter(pk=int(self.id_value)).first()
        hidden = [
            (key, value)
            for key, values in changelist.params.items()
            if key not in (self.id_kwarg, self.search_kwarg, "p")
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "selected": self.id_value in (None, "") and not self.search_value,
            "query_string": changelist.get_query_string(remove=[self.id_kwarg, self.search_kwarg]),
            "display": "All",
            "search_kwarg": self.search_kwarg,
            "search_value": self.search_value or (str(self.id_value) if self.id_value else ""),
            "selected_object": selected,
            "hidden": hidden,
        }


def _last(value):
    """Django 5 hands filters each parameter's list of values; a repeated one counts by its last value."""
    return value[-1] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def search_filter(*fields: str) -> type[RelatedSearchFilter]:
    """`("company", search_filter("name"))` in a ModelAdmin's list_filter."""
    return type("SearchFilter", (RelatedSearchFilter,), {"search_fields": fields})
