"""List and replay dead letters.

    python -m servicekit.deadletters list jobs.events            # what is in jobs.events.dead
    python -m servicekit.deadletters replay jobs.events [--all | --id MESSAGE_ID]

Replay publishes each message back to the queue it died on (through the default exchange, so only
that service sees it again), with the retry count reset, and removes it from the dead queue only
after the broker confirmed the new copy.

A replay never carries more authority than the original: the copy is published by the operator's
user, so the original's broker-validated ``user_id`` is not on it, and the consumer checks the
sender again exactly as on the first delivery (for employer requests: a sender header counts only
with the applications service's signature, made when RabbitMQ had validated the ``user_id``). A
message dead-lettered as unauthorised is not replayed at all (it is listed as refused).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
from typing import Any

import aio_pika


def _queue(name: str, prefix: str) -> str:
    return name if name.startswith(prefix) else f"{prefix}{name}"


# commands to the notifier carry auth keys: a listing never shows them
_SECRET = re.compile(r'"(auth_key|password|token|refresh_token)"\s*:\s*"[^"]*"')


def describe(msg: aio_pika.abc.AbstractIncomingMessage) -> dict[str, Any]:
    headers = msg.headers or {}
    body = _SECRET.sub(
        lambda m: f'"{m.group(1)}": "***"', msg.body[:2000].decode("utf-8", "replace")
    )
    return {
        "message_id": msg.message_id,
        "type": msg.type,
        "reason": str(headers.get("x-dead-reason") or _death_reason(headers)),
        "dead_at": str(headers.get("x-dead-at", "")),
        "body": body[:400],
    }


def _unauthorised(msg: aio_pika.abc.AbstractIncomingMessage) -> bool:
    return str((msg.headers or {}).get("x-dead-reason") or "").startswith("unauthorised")


def _death_reason(headers: dict[str, Any]) -> str:
    deaths = headers.get("x-death") or []
    if deaths and isinstance(deaths, list) and isinstance(deaths[0], dict):
        return f"broker: {deaths[0].get('reason')} (delivery limit)"
    return "unknown"


async def run(
    action: str, queue: str, *, url: str, message_id: str | None, replay_all: bool
) -> list[dict[str, Any]]:
    conn = await aio_pika.connect(url)
    out: list[dict[str, Any]] = []
    async with conn:
        channel = await conn.channel(publisher_confirms=True)
        dead = await channel.get_queue(f"{queue}.dead")
        held: list[aio_pika.abc.AbstractIncomingMessage] = []
        while True:
            msg = await dead.get(fail=False, no_ack=False)
            if msg is None:
                break
            held.append(msg)
        for msg in held:
            wanted = action == "replay" and (replay_all or msg.message_id == message_id)
            if wanted and _unauthorised(msg):
                # its sender was never validated: a replay could only be refused again
                out.append({**describe(msg), "replayed": False, "refused": "unauthorised"})
                await msg.nack(requeue=True)
                continue
            if not wanted:
                out.append(describe(msg))
                await msg.nack(requeue=True)
                continue
            headers = {k: v for k, v in (msg.headers or {}).items() if not k.startswith("x-")}
            headers["x-replayed"] = True
            copy = aio_pika.Message(
                msg.body,
                headers=headers,
                message_id=msg.message_id,
                type=msg.type,
                correlation_id=msg.correlation_id,
                content_type=msg.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await channel.default_exchange.publish(copy, routing_key=queue, mandatory=True)
            await msg.ack()
            out.append({**describe(msg), "replayed": True})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("queue", help="the service queue, e.g. jobs.events or notifier.commands")
    parser.add_argument("--id", dest="message_id")
    parser.add_argument("--all", action="store_true")
    parser.add_argument(
        "--url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--prefix", default=os.environ.get("BUS_PREFIX", ""))
    args = parser.parse_args()
    if args.action == "replay" and not (args.all or args.message_id):
        parser.error("replay needs --all or --id MESSAGE_ID")
    result = asyncio.run(
        run(
            args.action,
            _queue(args.queue, args.prefix),
            url=args.url,
            message_id=args.message_id,
            replay_all=args.all,
        )
    )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
