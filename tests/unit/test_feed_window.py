"""The gallery's sliding window: at most KEEP pages of rows, pages dropped at one end come back from the other."""

from __future__ import annotations

from types import SimpleNamespace

from palett.state.feed_window import FeedWindow


def fresh() -> SimpleNamespace:
    return SimpleNamespace(rows=[], hidden_before=0, has_more=False, _starts=[], _sizes=[], _first=0, _after="")


def page(start: int, size: int = 3) -> list[dict[str, int]]:
    return [{"id": i} for i in range(start, start + size)]


def ids(state: SimpleNamespace) -> list[int]:
    return [row["id"] for row in state.rows]


def test_appending_past_the_window_drops_pages_from_the_top_and_remembers_their_cursors():
    s = fresh()
    w = FeedWindow(s, keep=2)
    w.reset(page(0), "c1")
    assert (ids(s), s.has_more, s.hidden_before, w.before_cursor) == ([0, 1, 2], True, 0, None)
    w.append(page(3), "c2")
    w.append(page(6), "c3")
    assert ids(s) == [3, 4, 5, 6, 7, 8] and s.hidden_before == 3
    assert w.before_cursor == "" and w.after_cursor == "c3"  # "" loads the first page again
    w.append(page(9, 2), None)
    assert ids(s) == [6, 7, 8, 9, 10] and s.hidden_before == 6 and not s.has_more


def test_prepending_brings_back_the_newer_page_and_drops_the_bottom_one():
    s = fresh()
    w = FeedWindow(s, keep=2)
    w.reset(page(0), "c1")
    for start, after in ((3, "c2"), (6, "c3"), (9, None)):
        w.append(page(start), after)
    assert w.before_cursor == "c1"
    w.prepend(page(3))
    assert ids(s) == [3, 4, 5, 6, 7, 8] and s.hidden_before == 3
    assert w.after_cursor == "c3" and s.has_more  # the dropped last page loads again from its cursor
    w.prepend(page(0))
    assert ids(s) == [0, 1, 2, 3, 4, 5] and s.hidden_before == 0 and w.before_cursor is None
    w.append(page(6), "c3")
    assert ids(s) == [3, 4, 5, 6, 7, 8]


def test_removing_rows_shrinks_their_pages_so_later_drops_stay_aligned():
    s = fresh()
    w = FeedWindow(s, keep=2)
    w.reset(page(0), "c1")
    w.append(page(3), "c2")
    w.remove([1, 4, 5])
    assert ids(s) == [0, 2, 3] and s._sizes == [2, 1]
    w.append(page(6), None)
    assert ids(s) == [3, 6, 7, 8] and s.hidden_before == 2


def test_update_changes_fields_in_place():
    s = fresh()
    w = FeedWindow(s)
    w.reset([{"id": 1, "favorite": False}, {"id": 2, "favorite": False}], None)
    w.update([2], favorite=True)
    assert s.rows == [{"id": 1, "favorite": False}, {"id": 2, "favorite": True}]
