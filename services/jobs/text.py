"""Search keywords as the seeker types them: white-space separated words (an ideographic space
counts), all required (AND); ``OR`` between two words makes either enough; ``-word`` (or
``－word``) excludes. The words are only split and normalised here (NFKC, lower case); matching is
the search engine's (``search_index``: width and case folding, kana folding, bigrams). A word is
always sent to the engine as the text of a phrase query, never as query syntax."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

MAX_WORDS = 10
MAX_WORD_LENGTH = 40
OR = "or"


class TooManyWords(ValueError):
    pass


def normalize(text: str) -> str:
    """NFKC and lower case: ``ＰＹＴＨＯＮ`` → ``python``, ``－派遣`` → ``-派遣``."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class KeywordQuery:
    """``groups``: each group is satisfied by any of its words; every group is required.
    ``exclude``: no excluded word may occur."""

    groups: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()
    raw: str = field(default="", compare=False)

    @property
    def empty(self) -> bool:
        return not self.groups and not self.exclude

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(w for g in self.groups for w in g)


def parse_query(q: str | None) -> KeywordQuery:
    """``介護 OR 看護 東京 -派遣`` → groups ``((介護, 看護), (東京,))``, exclude ``(派遣,)``.
    Raises TooManyWords past ``MAX_WORDS`` words (operators not counted); each word is cut at
    ``MAX_WORD_LENGTH`` characters; repeats are dropped."""
    groups: list[list[str]] = []
    exclude: list[str] = []
    joining = False
    count = 0
    for token in normalize(q or "").split():
        if token == OR:
            joining = bool(groups)
            continue
        if token.startswith("-"):
            word = token.lstrip("-")[:MAX_WORD_LENGTH]
            joining = False
            if word:
                count += 1
                if word not in exclude:
                    exclude.append(word)
            continue
        word = token[:MAX_WORD_LENGTH]
        count += 1
        if joining and groups:
            if word not in groups[-1]:
                groups[-1].append(word)
        elif [word] not in groups:
            groups.append([word])
        joining = False
    if count > MAX_WORDS:
        raise TooManyWords(f"キーワードは {MAX_WORDS} 語までにしてください。")
    return KeywordQuery(tuple(tuple(g) for g in groups), tuple(exclude), q or "")
