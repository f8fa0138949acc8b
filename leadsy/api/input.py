"""Request input through a serializer, the one way every view reads a body or a query string."""


def validated(serializer_class, data, **kwargs) -> dict:
    """The serializer's validated data, or a ValidationError (the handler answers 422 per field)."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class, request, **kwargs) -> dict:
    """Query filters; an empty one (`?stage_id=`) means no filter, as web forms send it."""
    params = {key: value for key, value in request.query_params.items() if value != ""}
    return validated(serializer_class, params, **kwargs)
