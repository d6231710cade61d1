"""Prometheus metrics (prometheus_client): the /metrics endpoint, who may read it, and the
request-latency middleware.

Two kinds of figures, collected differently because the site runs as several processes on
several machines (gunicorn -w N on each web machine, qclusters elsewhere):

- What only the process that did the work knows: request latency (here) and API calls
  (api/metrics.py). Under gunicorn these go through prometheus_client's multiprocess mode:
  with PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py sets and empties it), every worker
  process writes its values to files there and a scrape, answered by any one of them, adds
  up all of the machine's workers. Each web machine is scraped (one target per machine).
- What the database knows (outbox, jobs, apply lag): sharing/metrics.py reads it at scrape
  time, the same from every process, so the worker machines need no endpoint.

Without PROMETHEUS_MULTIPROC_DIR (runserver, tests) the values stay in this process.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

import prometheus_client
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

# The *_created series add nothing a dashboard uses, and multiprocess mode has none.
prometheus_client.disable_created_metrics()

# This process's own metrics. Not prometheus_client's global registry: that one also holds
# the process and GC collectors, per-process figures that would mislead once summed.
REGISTRY = CollectorRegistry(auto_describe=True)

# Seconds; pages answer in tens of milliseconds, a 500-record API listing in ~0.1-0.3 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUEST_LATENCY = Histogram(
    "omieshare_http_request_duration_seconds",
    "Tempo de resposta das requisições, por view (nome da rota), método HTTP e status.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class RequestMetricsMiddleware:
    """Observes each request's duration, labelled with the route's name ("api:produtos",
    "catalog:product_list"), never the path: the series stay few whatever the ids in the
    URLs. A request no route matched (a 404 for an unknown path) is "unmatched". Placed
    after WhiteNoise, so static files are not counted; a streamed download is timed up to
    its first byte."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        REQUEST_LATENCY.labels(
            match.view_name if match is not None else "unmatched",
            request.method if request.method in HTTP_METHODS else "other",
            str(response.status_code),
        ).observe(time.perf_counter() - started)
        return response


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
            return True
    # REMOTE_ADDR, never X-Forwarded-For, which any client can write.
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics in Prometheus' text format, for an address in METRICS_ALLOWED_NETWORKS
    or a request with `Authorization: Bearer <METRICS_TOKEN>`; 403 otherwise."""
    if not _allowed(request):
        return HttpResponse(
            "Acesso negado às métricas: use um endereço de METRICS_ALLOWED_NETWORKS ou o cabeçalho "
            "Authorization: Bearer <METRICS_TOKEN>.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    from sharing.metrics import SharingCollector

    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)
    registry.register(SharingCollector())
    # The format the scraper asks for (Prometheus asks for OpenMetrics); plain text 0.0.4
    # to anything else (curl).
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(registry), content_type=content_type)
