"""Accent-insensitive product search, identical on SQLite and PostgreSQL.

Text is folded in Python (NFC/NFD, tone and vowel marks, đ→d, case) into
`products.search_text`: plain ASCII words separated by single spaces. Both
databases then only have to match words, which their full-text indexes do the
same way: SQLite through an FTS5 table kept by triggers, PostgreSQL through a GIN
index on `to_tsvector('simple', search_text)`. Every word must match; the last
one also matches as a prefix, so results appear while the shopper is typing.

Ranking is plain SQL over the folded name, so it is the same on both databases:
the whole phrase in the name first, then every word in the name, then the
phrase anywhere, then the rest.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, literal_column, select, text

from catalogue.products.models import Product

MAX_QUERY_WORDS = 12

# The index itself is created by the first migration (migrations/versions/0001_*).


def matches(dialect: str, words: list[str]) -> ColumnElement[bool]:
    """WHERE clause: every word present, the last one as a prefix."""
    if dialect == "sqlite":
        # Words are [a-z0-9]+ (see catalogue.text), so quoting them is enough for FTS5 syntax.
        expression = " ".join(f'"{word}"' for word in words) + "*"
        ids = (
            select(literal_column("rowid"))
            .select_from(text("product_search"))
            .where(text("product_search MATCH :search_expression").bindparams(search_expression=expression))
        )
        return Product.id.in_(ids)
    terms = " & ".join([*words[:-1], f"{words[-1]}:*"])
    return text(
        "to_tsvector('simple'::regconfig, products.search_text) @@ to_tsquery('simple'::regconfig, :search_terms)"
    ).bindparams(search_terms=terms)


def relevance(words: list[str]) -> ColumnElement[int]:
    """Rank 0 (best) to 4: phrase in name, all words in name, phrase anywhere, rest."""
    phrase = " ".join(words)
    padded_name = " " + Product.search_name
    padded_text = " " + Product.search_text
    return case(
        (Product.search_name.like(f"{phrase}%"), 0),
        (padded_name.like(f"% {phrase}%"), 1),
        (and_(*(padded_name.like(f"% {word}%") for word in words)), 2),
        (padded_text.like(f"% {phrase}%"), 3),
        else_=4,
    )
