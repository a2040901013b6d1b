"""A sliding window over a keyset-paged feed: state and the DOM keep at most KEEP_PAGES pages of rows.

Scrolling down appends the next page; once the window holds more than KEEP_PAGES pages, the page at its top
is dropped (the browser's scroll anchoring keeps the view still). "Show newer" loads the page just above the
window again from its remembered cursor and drops the page at the bottom. Only cursors (short strings) and
page sizes are remembered for pages outside the window, never rows.

A state that uses it declares these fields (the names are fixed):

    rows: list[...]            # the window's rows, the only list sent to the browser
    hidden_before: int = 0     # rows above the window (dropped pages)
    has_more: bool = False     # another page follows the window
    _starts: list[str] = []    # the cursor that loads absolute page k ("" for the first page)
    _sizes: list[int] = []     # how many rows absolute page k had
    _first: int = 0            # absolute number of the window's first page
    _after: str = ""           # the cursor of the page after the window ("" at the end)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

KEEP_PAGES = 4


class FeedWindow:
    def __init__(self, state: Any, keep: int = KEEP_PAGES) -> None:
        self.s = state
        self.keep = keep

    # ---- reading ----

    @property
    def pages(self) -> int:
        return len(self.s._sizes) - self.s._first

    @property
    def before_cursor(self) -> str | None:
        """The cursor of the page just above the window, or None when the window starts at the top."""
        return self.s._starts[self.s._first - 1] if self.s._first > 0 else None

    @property
    def after_cursor(self) -> str | None:
        return self.s._after or None

    # ---- changing ----

    def reset(self, rows: Sequence[Any], next_cursor: str | None) -> None:
        """The first page of a fresh feed (new filters, new sort, back to the top)."""
        self.s._starts, self.s._sizes, self.s._first = [""], [len(rows)], 0
        self.s._after = next_cursor or ""
        self.s.rows = list(rows)
        self._sync()

    def append(self, rows: Sequence[Any], next_cursor: str | None) -> None:
        """The page that `after_cursor` loaded; drops pages from the top beyond the window's size."""
        self.s._starts = [*self.s._starts, self.s._after]
        self.s._sizes = [*self.s._sizes, len(rows)]
        self.s._after = next_cursor or ""
        kept = [*self.s.rows, *rows]
        while self.pages > self.keep:
            kept = kept[self.s._sizes[self.s._first]:]
            self.s._first += 1
        self.s.rows = kept
        self._sync()

    def prepend(self, rows: Sequence[Any]) -> None:
        """The page that `before_cursor` loaded; drops pages from the bottom beyond the window's size."""
        first = self.s._first - 1
        sizes = list(self.s._sizes)
        sizes[first] = len(rows)
        starts = list(self.s._starts)
        kept = [*rows, *self.s.rows]
        after = self.s._after
        while len(sizes) - first > self.keep:
            dropped = sizes.pop()
            after = starts.pop()
            if dropped:
                kept = kept[:-dropped]
        self.s._first, self.s._sizes, self.s._starts, self.s._after = first, sizes, starts, after
        self.s.rows = kept
        self._sync()

    def remove(self, ids: Iterable[int], key: str = "id") -> None:
        """Take rows out of the window (deleted images) and shrink their pages' sizes to match."""
        gone = set(ids)
        sizes = list(self.s._sizes)
        kept: list[Any] = []
        index = 0
        for page in range(self.s._first, len(sizes)):
            chunk = self.s.rows[index:index + sizes[page]]
            index += sizes[page]
            left = [row for row in chunk if row[key] not in gone]
            sizes[page] = len(left)
            kept.extend(left)
        self.s._sizes = sizes
        self.s.rows = kept
        self._sync()

    def update(self, ids: Iterable[int], key: str = "id", **changes: Any) -> None:
        """Change fields of some rows in place (a star, public/private, likes)."""
        wanted = set(ids)
        self.s.rows = [{**row, **changes} if row[key] in wanted else row for row in self.s.rows]

    def _sync(self) -> None:
        self.s.hidden_before = sum(self.s._sizes[:self.s._first])
        self.s.has_more = bool(self.s._after)
