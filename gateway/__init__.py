"""The gateway: the one public HTTP entry. Routing, token check, rate limits, maintenance mode,
request ids and the merged OpenAPI."""
