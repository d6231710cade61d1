from __future__ import annotations

import json

import pytest

from api import services


@pytest.fixture
def credentials(company):
    """The app_key/app_secret of `company`."""
    return services.credential_issue(company=company)


@pytest.fixture
def other_credentials(other_company):
    return services.credential_issue(company=other_company)


@pytest.fixture
def omie(client):
    """Call the Omie-compatible API: omie(credentials, "produtos", "ListarProdutos", {...})."""

    def _call(creds, endpoint: str, call: str, param: dict | None = None, *, raw_param=None):
        body = {
            "call": call,
            "app_key": creds.app_key,
            "app_secret": creds.app_secret,
            "param": raw_param if raw_param is not None else [param or {}],
        }
        return client.post(f"/api/v1/geral/{endpoint}/", json.dumps(body), content_type="application/json")

    return _call
