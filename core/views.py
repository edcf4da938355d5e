from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from core.health import check_health


@never_cache
@require_safe
def healthz(request):
    state = check_health()
    healthy = all(value == "ok" for value in state.values())
    return JsonResponse(state, status=200 if healthy else 503)
