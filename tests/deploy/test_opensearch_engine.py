"""The local search engine (deploy/local/opensearch.sh + deploy/opensearch): a running OpenSearch
2.19 node whose Japanese analysis the search index relies on — cjk_width + lowercase + cjk_bigram
(analysis-common) and the kuromoji tokenizer (the 2.16.0 plugin on Lucene 9.12.3, unsupported
upstream, so checked here) — and a start script that reuses what already answers and refuses a
port taken by something else. Needs the engine running (`make infra`); these tests never start or
stop it."""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local" / "opensearch.sh"
OPENSEARCH_URL = os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200").rstrip("/")

pytestmark = pytest.mark.integration

# the analysis the postings index is meant to use, in small: a bigram field that needs nothing
# beyond analysis-common, and a kuromoji field
SETTINGS: dict[str, Any] = {
    "settings": {
        "number_of_shards": 1,
        "analysis": {
            "analyzer": {
                "ja_bigram": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["cjk_width", "lowercase", "cjk_bigram"],
                },
                "ja_kuromoji": {
                    "type": "custom",
                    "tokenizer": "kuromoji_tokenizer",
                    "filter": ["kuromoji_baseform", "cjk_width", "lowercase"],
                },
            }
        },
    },
    "mappings": {
        "properties": {
            "title": {
                "type": "text",
                "analyzer": "ja_bigram",
                "fields": {"ja": {"type": "text", "analyzer": "ja_kuromoji"}},
            }
        }
    },
}
DOCS = {"care": "介護福祉士の求人", "kana": "カイゴ スタッフ", "latin": "abc 株式会社"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """Fails (not skips) when no OpenSearch answers: `make infra` starts it."""
    with httpx.Client(base_url=OPENSEARCH_URL, timeout=30) as c:
        try:
            root = c.get("/").json()
        except (httpx.HTTPError, ValueError):
            pytest.fail(f"OpenSearch not answering at {OPENSEARCH_URL}: run `make infra`")
        if root.get("version", {}).get("distribution") != "opensearch":
            pytest.fail(f"{OPENSEARCH_URL} answers, but not as OpenSearch: {root}")
        yield c


@pytest.fixture(scope="module")
def index(client: httpx.Client) -> Iterator[str]:
    name = f"t{uuid.uuid4().hex[:8]}-analysis"
    r = client.put(f"/{name}", json=SETTINGS)
    assert r.status_code == 200, r.text
    bulk = "".join(f'{{"index":{{"_id":"{k}"}}}}\n{{"title":"{v}"}}\n' for k, v in DOCS.items())
    r = client.post(
        f"/{name}/_bulk?refresh=true",
        content=bulk.encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert r.status_code == 200 and not r.json()["errors"], r.text
    yield name
    client.delete(f"/{name}")


def tokens(client: httpx.Client, index: str, analyzer: str, text: str) -> list[str]:
    r = client.post(f"/{index}/_analyze", json={"analyzer": analyzer, "text": text})
    assert r.status_code == 200, r.text
    return [t["token"] for t in r.json()["tokens"]]


def hits(client: httpx.Client, index: str, field: str, text: str) -> set[str]:
    r = client.post(f"/{index}/_search", json={"query": {"match": {field: text}}})
    assert r.status_code == 200, r.text
    return {h["_id"] for h in r.json()["hits"]["hits"]}


def test_the_engine_is_opensearch_2_19_and_new_indices_are_green(
    client: httpx.Client, index: str
) -> None:
    assert client.get("/").json()["version"]["number"].startswith("2.19.")
    # one node: replicas default to 0, or the index would stay yellow
    r = client.get(
        f"/_cluster/health/{index}", params={"wait_for_status": "green", "timeout": "10s"}
    )
    assert r.json()["status"] == "green", r.text


def test_bigram_analysis_splits_kanji_into_pairs(client: httpx.Client, index: str) -> None:
    assert tokens(client, index, "ja_bigram", "介護福祉士") == ["介護", "護福", "福祉", "祉士"]
    assert hits(client, index, "title", "介護") == {"care"}


def test_half_width_katakana_matches_full_width(client: httpx.Client, index: str) -> None:
    assert tokens(client, index, "ja_bigram", "ｶｲｺﾞ") == tokens(client, index, "ja_bigram", "カイゴ")
    assert hits(client, index, "title", "ｶｲｺﾞ") == {"kana"}


def test_full_width_latin_matches_ascii_in_any_case(client: httpx.Client, index: str) -> None:
    assert tokens(client, index, "ja_bigram", "ＡＢＣ") == ["abc"]
    assert hits(client, index, "title", "ＡＢＣ") == {"latin"}
    assert hits(client, index, "title", "ABC") == {"latin"}


def test_kuromoji_tokenizer_splits_words(client: httpx.Client, index: str) -> None:
    r = client.post(
        "/_analyze", json={"tokenizer": "kuromoji_tokenizer", "text": "介護福祉士の求人"}
    )
    assert r.status_code == 200, r.text
    words = [t["token"] for t in r.json()["tokens"]]
    assert {"介護", "福祉", "求人"} <= set(words)
    assert hits(client, index, "title.ja", "求人") == {"care"}


def run_script(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env={**os.environ, "OPENSEARCH_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_reuses_the_engine_that_answers(client: httpx.Client) -> None:
    before = client.get("/_nodes/_local").json()["nodes"]
    done = run_script("start", url=OPENSEARCH_URL)
    assert done.returncode == 0, done.stderr
    assert "already answers" in done.stderr and "using it" in done.stderr
    # nothing new started: the same node, with the same id, still answers
    assert client.get("/_nodes/_local").json()["nodes"].keys() == before.keys()
    status = run_script("status", url=OPENSEARCH_URL)
    assert status.returncode == 0 and status.stdout.startswith("up (OpenSearch 2.19."), status


class _NotOpenSearch(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"hello": "i am not a search engine"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_start_refuses_a_port_taken_by_something_else() -> None:
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), _NotOpenSearch)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        done = run_script("start", url=f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode != 0
    assert "does not answer as OpenSearch" in done.stderr, done.stderr
