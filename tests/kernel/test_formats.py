"""One rule for the numbers people read: counts agree with their noun, credits carry no trailing
zeros, measured values no false precision."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kernel import count_text, credits_text, number_text

amounts = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)


@given(amounts)
def test_credits_read_back_as_the_amount_with_no_trailing_zero(amount):
    text = credits_text(amount)
    assert Decimal(text.replace(",", "")) == amount
    assert not (("." in text) and text.endswith(("0", ".")))


def test_the_figures_reviewers_found():
    assert credits_text(Decimal("500.0000")) == "500" and credits_text(Decimal("2.5000")) == "2.5"
    assert number_text(409.5460037976864) == "409.5" and number_text(12036) == "12,036"
    assert (count_text(1, "job"), count_text(3, "job")) == ("1 job", "3 jobs")
    assert count_text(12036, "company", "companies") == "12,036 companies"


def test_pausing_one_job_says_one_job(client, ops, demo):
    from cleanup.jobs.models import BatchJob

    job = BatchJob.objects.create(kind="tenure_backfill", status="running")
    page = client.post("/admin/cleanup/batchjob/", {"action": "pause", "_selected_action": [job.pk]},
                       follow=True).content.decode()
    assert "1 job paused." in page and "1 jobs" not in page
