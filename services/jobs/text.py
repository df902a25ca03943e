"""Japanese keyword matching without a tokenizer dictionary.

Text and queries are normalised the same way (NFKC: half-width katakana and full-width Latin and
digits become their standard forms; lower case; katakana folded to hiragana), then split on white
space into segments. A document stores every character (unigram) and every pair of adjacent
characters (bigram) of its segments; a query term of one character needs its unigram, a longer term
all its bigrams. Bigram presence narrows the candidates; for terms of three or more characters the
exact substring is checked in Python (see SEARCH.md).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

# katakana ァ (U+30A1) .. ヶ (U+30F6) fold to hiragana ぁ (U+3041) .. ゖ (U+3096); ー stays
_KATA_START, _KATA_END, _KANA_SHIFT = 0x30A1, 0x30F6, 0x60
_FOLD = {c: c - _KANA_SHIFT for c in range(_KATA_START, _KATA_END + 1)}

MAX_TERMS = 10
MAX_TERM_LENGTH = 40


def normalize(text: str) -> str:
    """NFKC, lower case, katakana → hiragana. ``ｴﾝｼﾞﾆｱ`` → ``えんじにあ``, ``ＰＹＴＨＯＮ`` → ``python``."""
    return unicodedata.normalize("NFKC", text).lower().translate(_FOLD)


def segments(text: str) -> list[str]:
    return normalize(text).split()


def grams(segment: str) -> set[str]:
    """Unigrams and bigrams of one normalised segment."""
    out = set(segment)
    out.update(segment[i : i + 2] for i in range(len(segment) - 1))
    return out


def document_terms(*texts: str | None) -> tuple[list[str], str]:
    """The index terms (sorted unique unigrams + bigrams) and the normalised text kept for the
    exact check. Segments are joined with a newline, which no query term contains."""
    segs = [s for t in texts if t for s in segments(t)]
    terms: set[str] = set()
    for seg in segs:
        terms |= grams(seg)
    return sorted(terms), "\n".join(segs)


def term_keys(term: str) -> set[str]:
    """What a document must hold to possibly contain ``term`` (already normalised)."""
    if len(term) <= 1:
        return {term}
    return {term[i : i + 2] for i in range(len(term) - 1)}


@dataclass(frozen=True)
class KeywordQuery:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    raw: str = field(default="", compare=False)

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude

    def required_keys(self) -> list[str]:
        keys: set[str] = set()
        for term in self.include:
            keys |= term_keys(term)
        return sorted(keys)

    def excluded_keys(self) -> list[str]:
        """Exclusions of one or two characters are exact at the index level."""
        return sorted(t for t in self.exclude if len(t) <= 2)

    @property
    def needs_check(self) -> bool:
        """Whether bigram presence is not proof: a longer term, included or excluded."""
        return any(len(t) > 2 for t in (*self.include, *self.exclude))

    def matches(self, normalized_text: str) -> bool:
        return all(t in normalized_text for t in self.include) and not any(
            t in normalized_text for t in self.exclude
        )


def parse_query(q: str | None) -> KeywordQuery:
    """AND of the white-space separated words; ``-word`` excludes. Duplicates are dropped; at most
    ``MAX_TERMS`` words, each cut at ``MAX_TERM_LENGTH`` characters."""
    include: list[str] = []
    exclude: list[str] = []
    for word in segments(q or ""):
        target = include
        if word.startswith("-") and len(word) > 1:
            word, target = word[1:], exclude
        word = word[:MAX_TERM_LENGTH]
        if word and word not in target:
            target.append(word)
    return KeywordQuery(tuple(include[:MAX_TERMS]), tuple(exclude[:MAX_TERMS]), q or "")
