from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer


class StaffBrowsableNegotiation(DefaultContentNegotiation):
    """JSON for every client; DRF's browsable pages only for active staff whose browser asks for
    HTML. Anyone else who asks for HTML gets JSON: anonymous and non-staff callers never see a page
    (its forms, its descriptions), only the API's JSON errors."""

    def select_renderer(self, request, renderers, format_suffix=None):
        user = request.user
        if not (user.is_active and user.is_staff):
            renderers = [renderer for renderer in renderers if not isinstance(renderer, BrowsableAPIRenderer)]
        return super().select_renderer(request, renderers, format_suffix)
