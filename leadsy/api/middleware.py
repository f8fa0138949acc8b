from leadsy.api.exceptions import page_not_found


class OptionalTrailingSlashMiddleware:
    """`/api/v1/users/` and `/api/v1/users` reach the same view, without a redirect.

    Routes are declared without a trailing slash; this strips it before URL resolution.
    """

    prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(self.prefix) and len(path) > len(self.prefix) and path.endswith("/"):
            request.path_info = path.rstrip("/")
            request.path = request.path.rstrip("/")
        return self.get_response(request)


class ApiNotFoundMiddleware:
    """An unknown path under `/api/` answers the contract's JSON 404, with `DEBUG` on as well as off.

    With `DEBUG` off, `handler404` already does this; with it on, Django answers its HTML debug page
    instead, before any handler runs, so the response is replaced here.
    """

    prefix = "/api/"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and request.path.startswith(self.prefix)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return page_not_found(request)
        return response
