from django.http import JsonResponse
from django.shortcuts import redirect

from ..selectors import heartbeat_status


def home(request):
    return redirect("admin:index")


def health(request):
    """Liveness for load balancers and `make run` users: database reachable, worker/beat seen."""
    return JsonResponse({"database": True, **heartbeat_status()})
