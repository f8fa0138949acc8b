"""Page-number pagination with the contract's `meta` block, and the envelope helpers.

A view answers one object with `object_response("user", data)` and a list with
`paginated_response(request, queryset, UserSerializer, key="users")`.
"""

import math

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a whole number."]}) from None
    if value < 1:
        raise ValidationError({name: ["Must be 1 or more."]})
    return value


def paginate(request, queryset, *, count_cap: int | None = None):
    """Return (page of items, meta). An out-of-range page is an empty list, not an error.

    With `count_cap`, at most that many rows are counted (`SELECT count(*) FROM (… LIMIT cap + 1)`): more
    give `total_count` = cap and `total_count_capped` true, and pages past the cap are still served."""
    page = _positive_int(request, "page", 1)
    per_page = min(_positive_int(request, "per_page", settings.API_PAGE_SIZE), settings.API_MAX_PAGE_SIZE)
    capped = False
    if count_cap is not None:
        counted = queryset.order_by().values("pk")[: count_cap + 1].count()
        capped = counted > count_cap
        total_count = min(counted, count_cap)
    elif hasattr(queryset, "count") and not isinstance(queryset, list):
        total_count = queryset.count()
    else:
        total_count = len(queryset)
    offset = (page - 1) * per_page
    items = list(queryset[offset : offset + per_page]) if capped or offset < total_count else []
    meta = {
        "page": page,
        "per_page": per_page,
        "total_count": total_count,
        "total_pages": math.ceil(total_count / per_page),
    }
    if count_cap is not None:
        meta["total_count_capped"] = capped
    return items, meta


def paginated_response(
    request, queryset, serializer_class, *, key: str, context: dict | None = None, count_cap: int | None = None
) -> Response:
    items, meta = paginate(request, queryset, count_cap=count_cap)
    context = {"request": request, **(context or {})}
    data = serializer_class(items, many=True, context=context).data
    return Response({key: data, "meta": meta})


def object_response(key: str, data, status: int = 200) -> Response:
    return Response({key: data}, status=status)


class MetaSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    per_page = serializers.IntegerField()
    total_count = serializers.IntegerField()
    total_pages = serializers.IntegerField()


class CappedMetaSerializer(MetaSerializer):
    total_count = serializers.IntegerField(
        help_text="Exact up to the count cap (setting LEAD_LIST_COUNT_CAP, 10,000 by default); "
        "past it, the cap, with `total_count_capped` true."
    )
    total_pages = serializers.IntegerField(help_text="From `total_count`: pages past it are still served when capped.")
    total_count_capped = serializers.BooleanField(
        help_text="True: there are more than `total_count` matches (not counted further, so a page stays fast)."
    )
