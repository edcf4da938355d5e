"""The project's URLs, plus two reference views for the overhead section: what Django and DRF
cost on their own, with the same settings and middleware, for a request that does no work."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler400, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns


def django_view(request):
    return HttpResponse(b"{}", content_type="application/json")


class DrfView(APIView):
    """The API's authentication, throttles, content negotiation and JSON rendering; a permission
    that needs no model."""

    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({})


urlpatterns = [
    path("bench/django/", django_view),
    path("bench/drf/", DrfView.as_view()),
    *project_urlpatterns,
]
