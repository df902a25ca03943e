"""The database client's timeouts: ours by default, the URL's own when MONGODB_URL sets them."""

from __future__ import annotations

from servicekit.db import connect


async def test_default_timeouts_and_the_urls_own() -> None:
    client, db = connect("mongodb://127.0.0.1:27017/", "t_timeouts")
    assert db.name == "t_timeouts"
    assert client.options.server_selection_timeout == 5.0
    assert client.options.pool_options.connect_timeout == 3.0
    await client.close()

    url = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=200"
    client, _ = connect(url, "t_timeouts")
    assert client.options.server_selection_timeout == 0.3
    assert client.options.pool_options.connect_timeout == 0.2
    await client.close()
