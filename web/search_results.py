"""What the search page (pages_jobs) shows of an answer of ``GET /api/v1/jobs``, kept apart from
the page so that each piece can be tested without a browser:

- ``highlight``: the engine's fragments (the matched words between ``<mark>`` … ``</mark>``) as
  safe HTML — everything escaped, only exact, balanced ``<mark>`` pairs kept;
- ``facet_groups``: the counts per prefecture, occupation and employment type, named from the
  reference data, each a link that narrows the search to that value;
- ``present``: one result with its highlighted title and duties snippet.

``facets`` (sent with the first page only) and ``highlight`` may be missing: missing is empty."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from web.reference import EMPLOYMENT_TYPE_NAMES, PREFECTURES

PREFECTURE_NAMES = dict(PREFECTURES)
# the facets the page shows, in this order: (parameter, heading)
FACETS = [
    ("prefecture", "勤務地（都道府県）"),
    ("occupation", "職種"),
    ("employment_type", "雇用形態"),
]
FACET_SHOWN = 8  # per facet; the rest folded under 「ほかのN件」

_MARK = re.compile(r"(<mark>|</mark>)")


def _text(piece: str) -> Markup:
    """A piece of a fragment between tags, escaped. The engine escapes its fragments; undoing
    that once first keeps ``&`` from showing as ``&amp;`` — the piece is escaped again here."""
    return escape(html.unescape(piece))


def highlight(fragment: Any) -> Markup | None:
    """An engine fragment as HTML that can only mark words: the text escaped, and a ``<mark>``
    tag kept only where it is exactly ``<mark>`` (no attributes) and closed by ``</mark>`` before
    any other tag; anything else (a lone, nested or decorated tag, a ``<script>``) shows as text.
    None when there is no fragment."""
    if not isinstance(fragment, str) or not fragment.strip():
        return None
    parts = _MARK.split(fragment)  # text, tag, text, tag, …, text
    out: list[Markup] = []
    i = 0
    while i < len(parts):
        if parts[i] == "<mark>" and i + 2 < len(parts) and parts[i + 2] == "</mark>":
            inner = _text(parts[i + 1])
            if inner:
                out.append(Markup("<mark>%s</mark>") % inner)
            i += 3
        else:
            out.append(_text(parts[i]))
            i += 1
    return Markup("").join(out)


def present(item: Mapping[str, Any]) -> dict[str, Any]:
    """One result for the template: the posting plus ``title_html`` and ``duties_html`` (None
    without a highlight: the plain title is shown, and no snippet)."""
    marks = item.get("highlight")
    marks = marks if isinstance(marks, Mapping) else {}
    return {
        **item,
        "title_html": highlight(marks.get("title")),
        "duties_html": highlight(marks.get("duties")),
    }


def _buckets(raw: Any) -> list[tuple[str, int]]:
    """(value, count) of a facet's buckets, in the engine's order (largest first), once each;
    malformed buckets and empty counts left out."""
    out: dict[str, int] = {}
    for bucket in raw if isinstance(raw, list) else []:
        if not isinstance(bucket, Mapping):
            continue
        value, count = bucket.get("value"), bucket.get("count")
        if not isinstance(value, str) or not value or value in out:
            continue
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            continue
        out[value] = count
    return list(out.items())


def facet_groups(
    facets: Any,
    query: Mapping[str, Any],
    *,
    link: Callable[[dict[str, Any]], str],
    occupation_names: Mapping[str, str],
    shown: int = FACET_SHOWN,
) -> list[dict[str, Any]]:
    """The counts to show: per facet, entries ``{value, label, count, selected, url}`` where
    ``url`` searches the same conditions with that facet set to that value alone (``link`` turns
    conditions in the API's form into a search URL). A value the page cannot name (an occupation
    code missing from the classification, say) is left out: the page could not search it either.
    ``clear_url`` drops the facet's condition, when it is set."""
    if not isinstance(facets, Mapping):
        return []
    names_of: dict[str, Mapping[str, str]] = {
        "prefecture": PREFECTURE_NAMES,
        "occupation": occupation_names,
        "employment_type": EMPLOYMENT_TYPE_NAMES,
    }
    groups: list[dict[str, Any]] = []
    for name, heading in FACETS:
        names = names_of[name]
        chosen = set(query.get(name) or [])
        entries = [
            {
                "value": value,
                "label": names[value],
                "count": count,
                "selected": value in chosen,
                "url": link({**query, name: [value]}),
            }
            for value, count in _buckets(facets.get(name))
            if value in names
        ]
        if not entries:
            continue
        groups.append(
            {
                "name": name,
                "label": heading,
                "shown": entries[:shown],
                "more": entries[shown:],
                "clear_url": link({**query, name: []}) if chosen else None,
            }
        )
    return groups
