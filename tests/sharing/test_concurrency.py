"""Two companies editing the same shared record at the same moment, from two threads with
their own database connections: one wins, the other is told, and everyone converges."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from catalog import hooks
from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Product
from sharing.models import Change, RecordLink, SharedRecord
from tests.factories import CompanyFactory
from tests.helpers import apply_pending, make_product, product_in, share_between


def _edit_at_once(edits: dict[str, tuple]) -> dict[str, str]:
    """Run product_update for every (company, description) at the same moment; each thread's
    outcome is 'ok' or the refusal message."""
    barrier = threading.Barrier(len(edits))
    outcome: dict[str, str] = {}

    def edit(name: str, company, description: str) -> None:
        try:
            product_id = product_in(company, "A1").pk
            barrier.wait(timeout=10)
            catalog_services.product_update(company=company, product_id=product_id,
                                            data={"description": description})
            outcome[name] = "ok"
        except WriteRefused as refused:
            outcome[name] = str(refused)
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            outcome[name] = f"unexpected {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(name, *args)) for name, args in edits.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcome


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_two_simultaneous_edits_win_and_converges(monkeypatch):
    origin = CompanyFactory(trade_name="Matriz")
    branch = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água")
    share_between(origin, branch)

    def slow_listener(write: hooks.RecordWrite) -> None:
        time.sleep(0.3)  # hold the transaction open: the two edits overlap for sure

    for round_no in range(4):
        with monkeypatch.context() as patch:
            if round_no == 0:
                patch.setattr(hooks, "_write_listeners", [*hooks._write_listeners, slow_listener])
            outcome = _edit_at_once({
                "origin": (origin, f"Água da matriz {round_no}"),
                "branch": (branch, f"Água da filial {round_no}"),
            })

        assert not any(text.startswith("unexpected") for text in outcome.values()), outcome
        # Whichever commits first wins; the other is refused as stale, never silently lost.
        winners = [name for name, text in outcome.items() if text == "ok"]
        assert len(winners) == 1, outcome
        loser = "branch" if winners == ["origin"] else "origin"
        assert "alterado em outra empresa" in outcome[loser]
        apply_pending()

        winner_company = "matriz" if winners == ["origin"] else "filial"
        descriptions = set(Product.objects.filter(code="A1").values_list("description", flat=True))
        assert descriptions == {f"Água da {winner_company} {round_no}"}
        shared = SharedRecord.objects.get(match_key="A1")
        assert shared.values["description"] in descriptions
        assert set(RecordLink.objects.filter(shared_record=shared).values_list("applied_version", flat=True)) == {
            shared.version
        }
        assert Change.objects.filter(shared_record=shared).count() == shared.version - 1


@pytest.mark.django_db(transaction=True)
def test_it_refuses_the_second_of_two_simultaneous_creations_of_the_same_code_with_a_message(monkeypatch):
    origin = CompanyFactory(trade_name="Matriz")
    branch = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água")
    share_between(origin, branch)
    monkeypatch.setattr(hooks, "_write_listeners", [*hooks._write_listeners, lambda write: time.sleep(0.3)])
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def create(name: str, company) -> None:
        try:
            barrier.wait(timeout=10)
            make_product(company, "NOVO", f"Novo na {name}")
            outcome[name] = "ok"
        except WriteRefused as refused:
            outcome[name] = str(refused)
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            outcome[name] = f"unexpected {error!r}"
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name, company))
               for name, company in (("matriz", origin), ("filial", branch))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcome) == ["filial", "matriz"] and list(outcome.values()).count("ok") == 1, outcome
    refusal = next(text for text in outcome.values() if text != "ok")
    assert "Já existe um cadastro compartilhado com o código NOVO" in refusal, outcome
    assert Product.objects.filter(code="NOVO").count() == 1
    apply_pending()
    assert Product.objects.filter(code="NOVO").count() == 2
    assert SharedRecord.objects.filter(match_key="NOVO").count() == 1
