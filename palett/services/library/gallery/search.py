"""Prompt search behind one function: PostgreSQL full-text search, or SQLite FTS5 in the embedded default.

Both match every word of the query as a prefix ("mount lake" finds "a mountain lake at dawn"), case-
insensitively, in the prompt only. PostgreSQL uses the GIN index on to_tsvector('simple', prompt)
(palett.models.media); SQLite the generated_image_fts table (palett.models.library). The 'simple'
configuration and FTS5's unicode61 tokenizer both split on non-alphanumerics and do no stemming
(FTS5 also folds accents, PostgreSQL does not).
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, Integer, column, func, text
from sqlmodel import Session as DB
from sqlmodel import col

from palett.models import GeneratedImage
from palett.models.media import PROMPT_TSVECTOR

MAX_TERMS = 8
_WORD = re.compile(r"[^\W_]+")


def terms(query: str) -> list[str]:
    """The words of a search box entry, lower-cased, at most MAX_TERMS (punctuation and operators dropped)."""
    return list(dict.fromkeys(word.lower() for word in _WORD.findall(query or "")))[:MAX_TERMS]


def prompt_matches(db: DB, query: str) -> ColumnElement[bool] | None:
    """A condition on GeneratedImage for "the prompt has every word of `query`", or None for an empty query."""
    words = terms(query)
    if not words:
        return None
    if db.get_bind().dialect.name == "postgresql":
        # Each word is letters/digits only, so the tsquery syntax cannot be injected; 'simple' is written
        # literally so the expression matches the index's exactly.
        tsquery = func.to_tsquery(text("'simple'"), " & ".join(f"{w}:*" for w in words))
        return PROMPT_TSVECTOR.bool_op("@@")(tsquery)
    fts_query = " AND ".join(f'"{w}"*' for w in words)
    rowids = (text("SELECT rowid FROM generated_image_fts WHERE generated_image_fts MATCH :fts_query")
              .bindparams(fts_query=fts_query).columns(column("rowid", Integer)))
    return col(GeneratedImage.id).in_(rowids)
