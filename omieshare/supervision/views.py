"""Endpoints for load balancers and supervisors: no login, no secrets, cheap queries."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from omieshare.supervision.checks import readiness


@never_cache
@require_GET
def live(request):
    """The process answers (no database): a supervisor restarts it when this fails."""
    return JsonResponse({"alive": True})


@never_cache
@require_GET
def ready(request):
    """200 when this server can take traffic and edits will propagate: the database and the
    broker answer, enough workers are alive and agree with this server, and no outbox change
    waits too long; 503 otherwise, saying which check failed and why (pt-BR).
    `?scope=machine`: only this machine's own checks (deploy/README.md, "Saúde")."""
    results = readiness("machine" if request.GET.get("scope") == "machine" else "all")
    ok = all(result.ok for result in results)
    body = {
        "ready": ok,
        "failed": [result.name for result in results if not result.ok],
        "checks": {result.name: {"ok": result.ok, "detail": result.detail, **result.extra} for result in results},
    }
    return JsonResponse(body, status=200 if ok else 503, json_dumps_params={"ensure_ascii": False})
