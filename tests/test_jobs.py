"""omieshare.lib.jobs: jobs are enqueued only once their transaction committed, and
`enqueued_together()` sends a block's jobs at its end, in one database transaction."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, transaction

from omieshare.lib import jobs

pytestmark = pytest.mark.django_db(transaction=True)


class Queue:
    """Stands for django-q2's async_task; remembers whether each job came inside a transaction."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, tuple, bool]] = []
        self.queues: list[str | None] = []  # django-q2's cluster: None is the engine's queue

    def __call__(self, func_path, *args, group=None, cluster=None):
        self.sent.append((func_path, args, connection.in_atomic_block))
        self.queues.append(cluster)


def test_the_jobs_of_a_block_are_sent_together_in_one_transaction_after_commit():
    queue = Queue()
    with mock.patch("omieshare.lib.jobs.async_task", queue):
        with jobs.enqueued_together():
            with transaction.atomic():
                jobs.enqueue_on_commit("sharing.tasks.apply_change", 1_000_001)
                try:
                    with transaction.atomic():  # a record refused after its write: its job is dropped
                        jobs.enqueue_on_commit("sharing.tasks.apply_change", 1_000_002)
                        raise ValueError
                except ValueError:
                    pass
                jobs.enqueue_on_commit("sharing.tasks.apply_change", 1_000_003)
            assert queue.sent == []  # committed, held until the block ends
        assert queue.sent == [
            ("sharing.tasks.apply_change", (1_000_001,), True),
            ("sharing.tasks.apply_change", (1_000_003,), True),
        ]


def test_a_rolled_back_transaction_sends_nothing():
    queue = Queue()
    with (
        mock.patch("omieshare.lib.jobs.async_task", queue),
        pytest.raises(RuntimeError),
        jobs.enqueued_together(),
        transaction.atomic(),
    ):
        jobs.enqueue_on_commit("sharing.tasks.apply_change", 1_000_001)
        raise RuntimeError

    assert queue.sent == []


def test_what_committed_before_an_error_in_the_block_is_still_sent():
    queue = Queue()
    with mock.patch("omieshare.lib.jobs.async_task", queue), pytest.raises(RuntimeError), jobs.enqueued_together():
        with transaction.atomic():
            jobs.enqueue_on_commit("sharing.tasks.catch_up", 1_000_001, 1_000_002)
        raise RuntimeError

    assert queue.sent == [("sharing.tasks.catch_up", (1_000_001, 1_000_002), True)]


def test_outside_a_block_each_job_is_sent_when_its_transaction_commits():
    queue = Queue()
    with mock.patch("omieshare.lib.jobs.async_task", queue):
        with transaction.atomic():
            jobs.enqueue_on_commit("sharing.tasks.apply_change", 1_000_001)
            assert queue.sent == []
        assert queue.sent == [("sharing.tasks.apply_change", (1_000_001,), False)]


def test_a_job_for_another_queue_keeps_its_queue_when_held_with_the_blocks_others(settings):
    queue = Queue()
    with mock.patch("omieshare.lib.jobs.async_task", queue), jobs.enqueued_together():
        with transaction.atomic():
            jobs.enqueue_on_commit("sharing.tasks.apply_pending", 1_000_001)
            transaction.on_commit(lambda: jobs.send_now_or_held("webhooks.tasks.deliver", (1_000_002,),
                                                                queue=settings.WEBHOOKS_QUEUE))
        assert queue.sent == []
    assert [job[0] for job in queue.sent] == ["sharing.tasks.apply_pending", "webhooks.tasks.deliver"]
    assert queue.queues == [None, settings.WEBHOOKS_QUEUE]
