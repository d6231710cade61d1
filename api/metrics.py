"""Prometheus metrics of the Omie-compatible API (see omieshare/metrics.py for how they are
collected across gunicorn's processes). Counting costs no query: a write answered by the
API does exactly the queries it did before (tests/api/test_write_cost.py)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from omieshare.metrics import LATENCY_BUCKETS, REGISTRY

# A label of a call not in the service's list, or of a request whose envelope could not be
# read: any string a client sends must not become a series of its own.
UNKNOWN_CALL = "unknown"
# An answer that is not a fault.
OK = "ok"

API_CALLS = Counter(
    "omieshare_api_calls",
    "Chamadas à API compatível com o Omie, por método (call) e código da falha (faultcode "
    "SOAP-ENV:Client-<n>; ok = sem falha; 11 = lote com cadastros recusados; error = erro "
    "inesperado, HTTP 500 do servidor).",
    ["method", "fault"],
    registry=REGISTRY,
)
API_CALL_DURATION = Histogram(
    "omieshare_api_call_duration_seconds",
    "Tempo de resposta das chamadas à API compatível com o Omie, por método (call).",
    ["method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


def record_call(method: str, fault: str, seconds: float) -> None:
    API_CALLS.labels(method, fault).inc()
    API_CALL_DURATION.labels(method).observe(seconds)
