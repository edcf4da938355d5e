from django.contrib import admin
from django.shortcuts import render

from core.errors import AppError


class AwsErrorPageMiddleware:
    """Admin pages: show a project error (AWS down, table missing, bad cursor) as an admin page
    with its status code and the fix, instead of a traceback or a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, AppError) or not request.path.startswith("/admin/"):
            return None
        context = {
            **admin.site.each_context(request),
            "title": "AWS error" if exception.status_code >= 500 else "Bad request",
            "error": exception,
        }
        return render(request, "admin/aws_error.html", context, status=exception.status_code)
