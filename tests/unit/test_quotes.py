"""The cost previews' words (billing.quote) and the one definition of Pro's basic tools."""

from __future__ import annotations

from palett.services.billing import catalog
from palett.services.billing.quotes import AllowanceView, cheapest_offer, quote
from palett.services.generation import catalog as operations

NONE = AllowanceView()
PRO = AllowanceView("pro_basic", remaining=37, cap=500)


def test_basic_tools_are_exactly_the_catalogs_one_credit_tools():
    one_credit = {m.operation for m in operations.all_models() if m.operation != "t2i" and m.credits_per_image == 1}
    assert one_credit == catalog.BASIC_OPERATIONS
    assert all(m.credits_per_image == 1 for m in operations.all_models() if m.operation in catalog.BASIC_OPERATIONS)


def test_an_affordable_run_says_what_it_costs_and_what_you_have():
    q = quote(operation="t2i", job_cost=2, jobs=2, balance=12, allowance=NONE)
    assert (q.summary, q.cost, q.shortfall, q.button, q.offer) == ("Costs 4 credits · you have 12", 4, 0, "", None)
    one = quote(operation="t2i", job_cost=1, jobs=1, balance=1, allowance=NONE)
    assert one.summary == "Costs 1 credit · you have 1"


def test_a_run_too_dear_says_what_is_missing_and_offers_the_smallest_pack_that_covers_it():
    q = quote(operation="t2i", job_cost=4, jobs=1, balance=1, allowance=NONE)
    assert q.summary == "Costs 4 credits · you have 1" and q.button == "Need 3 more credits"
    assert q.offer is not None and (q.offer.product, q.offer.label) == ("starter", "Buy 100 credits for $9.99")
    assert quote(operation="t2i", job_cost=1, jobs=1, balance=0, allowance=NONE).button == "Need 1 more credit"
    assert cheapest_offer(101).product == "creator" and cheapest_offer(600).product == "professional"
    assert cheapest_offer(601).product == "pro_month"


def test_pro_basic_tools_are_free_within_the_cap_and_say_so():
    q = quote(operation="bg_remove", job_cost=1, jobs=1, balance=0, allowance=PRO)
    assert (q.summary, q.cost, q.shortfall) == ("Free with Pro · 37 of 500 left this month", 0, 0)
    assert quote(operation="style", job_cost=2, jobs=1, balance=5, allowance=PRO).summary == \
        "Costs 2 credits · you have 5"  # not a basic tool


def test_a_batch_past_the_cap_counts_only_the_rest():
    q = quote(operation="upscale", job_cost=1, jobs=40, balance=1, allowance=PRO)
    assert q.free_jobs == 37 and q.cost == 3 and q.button == "Need 2 more credits"
    assert q.summary == "37 free with Pro, the rest costs 3 credits · you have 1"
    used_up = quote(operation="upscale", job_cost=1, jobs=1, balance=4,
                    allowance=AllowanceView("pro_basic", remaining=0, cap=500))
    assert used_up.summary == "Costs 1 credit · you have 4 (Pro's free 500 are used up this month)"


def test_premium_covers_whole_jobs_only():
    premium = AllowanceView("premium", remaining=5, cap=2000)
    q = quote(operation="t2i", job_cost=2, jobs=3, balance=10, allowance=premium)
    assert q.free_jobs == 2 and q.cost == 2  # the third job (2 credits) no longer fits in the 1 left
