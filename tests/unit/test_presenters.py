"""One way to say counts and moments on every page."""

from __future__ import annotations

from datetime import datetime

from palett.services.common import presenters

NOON = datetime(2026, 12, 4, 9, 5, 30)


def test_counts_read_as_people_say_them():
    assert presenters.credits(1) == "1 credit"
    assert presenters.credits(2) == "2 credits"
    assert presenters.credits(0) == "0 credits"
    assert presenters.plural(1, "job") + " failed" == "1 job failed"
    assert presenters.plural(1200, "job") == "1,200 jobs"


def test_moments_from_datetimes_and_iso_strings_read_the_same():
    for moment in (NOON, NOON.isoformat()):
        assert presenters.short_date(moment) == "4 Dec 2026"
        assert presenters.date_and_time(moment) == "4 Dec 2026, 09:05"
        assert presenters.stamp_utc(moment) == "04 Dec 2026, 09:05 UTC"
        assert presenters.sortable(moment) == "2026-12-04 09:05"
        assert presenters.month_day_year(moment) == "Dec 4, 2026"
    assert presenters.short_date("not a date") == presenters.sortable(None) == ""


def test_durations():
    assert presenters.duration(3200) == "3.2 s"
    assert presenters.duration(125_000) == "2 min 5 s"
    assert presenters.duration(None) == ""
