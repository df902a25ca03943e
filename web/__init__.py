"""The Japanese web client (web My Page): server-rendered pages over the gateway's public API."""
