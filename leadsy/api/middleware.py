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
