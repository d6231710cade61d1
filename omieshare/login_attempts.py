"""Throttling of wrong passwords with django-axes (settings: AXES_*, LOGIN_*): the backend
that refuses a locked-out login, and the page that says so, in pt-BR."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginAttemptsBackend(AxesStandaloneBackend):
    """Refuses a login whose e-mail and address are locked out; the next backend
    (ModelBackend) checks the password.

    Every login form passes the request (the site's LoginView, the admin's). A call without
    one has no address to count and is not a login attempt from the web (the test client's
    `login()`, a shell): django-axes would raise; it is left to the next backend instead."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page of a locked-out login (AXES_LOCKOUT_CALLABLE), for the site's login and the
    admin's: HTTP 429, how long the lock lasts, and who can lift it."""
    cool_off = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off": _spoken(cool_off) if cool_off else None,
        },
        status=429,
    )


def _spoken(span) -> str:
    """"15 minutos", "1 hora", "90 minutos": how long the lock lasts, as a sentence says it."""
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return "1 hora" if hours == 1 else f"{hours} horas"
    return "1 minuto" if minutes == 1 else f"{minutes} minutos"
