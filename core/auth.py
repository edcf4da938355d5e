"""The client's address, as both the API's throttles and the admin's login throttling see it."""

from rest_framework.throttling import BaseThrottle


def client_address(request) -> str:
    """The address the nearest trusted proxy saw, by DRF's rule and its NUM_PROXIES setting: a
    client cannot pick its own by sending X-Forwarded-For."""
    return BaseThrottle().get_ident(request)
