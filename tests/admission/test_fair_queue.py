"""The fair scheduler on its own, in one event loop: who runs, who waits, and in what order. No server.

Every wait is bounded (turns.bounded): a turn that never comes fails the test instead of hanging it."""

import asyncio

from search_service.admission.fair_queue import NEWCOMER_HEADROOM
from tests.admission.turns import assert_idle, scheduler, settle, waiting


async def test_work_that_fits_runs_at_once_up_to_the_limit_exactly():
    fair = scheduler(4)
    tickets = [await fair.acquire("a", 1) for _ in range(4)]  # 4 of 4: at the limit, still room
    assert fair.in_flight == 4
    assert [ticket.waited for ticket in tickets] == [0.0] * 4  # none went through the queue

    fifth = await waiting(fair, "a")  # one past the limit
    assert not fifth.done()
    assert fair.queued == 1
    fifth.cancel()


async def test_a_caller_alone_uses_all_the_capacity_and_its_queue_drains_in_order():
    fair = scheduler(2)
    running = [await fair.acquire("a", 1) for _ in range(2)]
    queued = [await waiting(fair, "a") for _ in range(3)]
    assert fair.queued == 3
    assert not any(task.done() for task in queued)

    fair.release(running[0], ok=True)
    await settle()
    assert [task.done() for task in queued] == [True, False, False]
    fair.release(running[1], ok=True)
    fair.release(queued[0].result(), ok=True)
    await settle()
    assert all(task.done() for task in queued)
    assert fair.queued == 0
    for task in queued[1:]:
        fair.release(task.result(), ok=True)
    assert_idle(fair)


async def test_a_turn_given_back_goes_to_a_waiter_that_fits_exactly():
    fair = scheduler(2)
    first, _second = [await fair.acquire("a", 1) for _ in range(2)]
    third = await waiting(fair, "b")

    fair.release(first, ok=True)  # 1 in flight + 1 waiting: exactly the limit
    await settle()

    assert third.done()
    assert fair.in_flight == 2


async def test_a_newcomer_runs_before_a_heavy_callers_backlog():
    fair = scheduler(2)
    running = [await fair.acquire("heavy", 1) for _ in range(2)]
    backlog = [await waiting(fair, "heavy") for _ in range(50)]
    light = await waiting(fair, "light")

    for ticket in running:
        fair.release(ticket, ok=True)
    await settle()

    assert light.done()  # within a turn or two, not fifty
    assert sum(task.done() for task in backlog) == 1
    for task in backlog:
        task.cancel()


async def test_a_newcomer_after_the_queue_moved_still_runs_next():
    # The queue's virtual time is the start tag of what runs: a caller idle until now starts there, not behind the
    # turns the others already had.
    fair = scheduler(1)
    holder = await fair.acquire("x", 1)
    backlog = [await waiting(fair, "a") for _ in range(3)]
    fair.release(holder, ok=True)
    await settle()
    assert [task.done() for task in backlog] == [True, False, False]

    late = await waiting(fair, "late")
    fair.release(backlog[0].result(), ok=True)
    await settle()

    assert late.done()
    assert [task.done() for task in backlog] == [True, False, False]
    for task in backlog:
        task.cancel()


async def test_callers_share_by_cost_not_by_count():
    fair = scheduler(4)
    holders = [await fair.acquire("x", 1) for _ in range(4)]
    costly = [await waiting(fair, "costly", 4) for _ in range(5)]
    cheap = [await waiting(fair, "cheap", 1) for _ in range(20)]
    order: list[str] = []
    for task in costly:
        task.add_done_callback(lambda _: order.append("costly"))
    for task in cheap:
        task.add_done_callback(lambda _: order.append("cheap"))

    for holder in holders:
        fair.release(holder, ok=True)
    for _ in range(40):
        await asyncio.sleep(0)
        for task in [*costly, *cheap]:
            if task.done() and not getattr(task, "released", False):
                task.released = True  # type: ignore[attr-defined]
                fair.release(task.result(), ok=True)

    assert order[:10].count("cheap") >= 6  # about four cheap turns for each costly one
    await settle()
    assert_idle(fair)


async def test_work_that_fits_still_queues_behind_an_earlier_waiter():
    # Room for a small request while a large one waits: the small one would starve the large one by jumping in.
    fair = scheduler(4)
    held = await fair.acquire("a", 2)
    large = await waiting(fair, "b", 4)

    small = await waiting(fair, "a", 1)

    assert not small.done()
    assert fair.queued == 2
    fair.release(held, ok=True)
    await settle()
    assert small.done()  # a's tag is smaller: it goes first, then b's waits for the room it needs
    assert not large.done()
    fair.release(small.result(), ok=True)
    await settle()
    assert large.done()
    fair.release(large.result(), ok=True)
    assert_idle(fair)


async def test_a_newcomer_may_take_the_headroom_exactly_but_not_more():
    fair = scheduler(4, overcommit=NEWCOMER_HEADROOM)
    heavy = [await fair.acquire("heavy", 1) for _ in range(4)]

    assert (await fair.acquire("light", 1)).waited == 0.0  # 5 of 4 x 1.25: exactly the headroom
    late = await waiting(fair, "third")  # 6: one past it, a newcomer too
    assert not late.done()
    more = await waiting(fair, "heavy")  # a caller with work in flight has no headroom
    assert not more.done()
    late.cancel()
    more.cancel()
    del heavy


async def test_no_headroom_for_a_caller_with_work_in_flight_even_where_it_would_fit():
    fair = scheduler(2, overcommit=0.5)  # room for 3 with the headroom
    first = await fair.acquire("a", 1)
    await fair.acquire("a", 1)
    fair.release(first, ok=True)  # a still has one in flight
    await fair.acquire("b", 1)  # 2 of 2

    again = await waiting(fair, "a")

    assert not again.done()
    again.cancel()


async def test_work_larger_than_the_limit_runs_alone():
    fair = scheduler(2)
    ticket = await fair.acquire("a", 10)
    assert fair.in_flight == 10
    after = await waiting(fair, "b", 0.5)
    assert not after.done()
    fair.release(ticket, ok=True)
    await settle()
    assert after.done()


async def test_try_acquire_gives_a_turn_only_when_there_is_room():
    fair = scheduler(1)
    held = fair.try_acquire("a", 1)
    assert held is not None
    assert held.caller == "a"
    assert fair.try_acquire("b", 1) is None
    assert set(fair._callers) == {"a"}  # a refusal remembers nobody
    fair.release(held, ok=True)
    assert_idle(fair)
    assert fair.try_acquire("b", 1) is not None


async def test_try_acquire_counts_the_caller_like_acquire():
    fair = scheduler(1, overcommit=1.0)  # room for 2 with the headroom
    held = fair.try_acquire("a", 1)
    assert held is not None

    assert fair.try_acquire("a", 1) is None  # a has work in flight: no headroom
    second = fair.try_acquire("b", 1)  # b is a newcomer: headroom
    assert second is not None
    fair.release(held, ok=True)
    fair.release(second, ok=True)
    assert_idle(fair)
