"""An example employer system: send one direct request (リクエスト) over AMQP and wait for the answer.

    deploy/local/employer-user.sh <employer_id> <password>       # once, by the operator
    .venv/bin/python -m services.applications.example_employer_publisher \\
        --employer-id <employer_id> --password <password> \\
        --job-id <job_id> --seeker-id <seeker_id> --message "ご経験を活かせる求人です。"

It connects AS ``employer-<employer_id>`` (the only user allowed to speak for that employer),
publishes the plain JSON command on the ``employer.requests`` exchange with the ``user_id`` and
``message_id`` properties set and publisher confirms on, then reads its own reply queue
``employer-<employer_id>.replies`` for the answer: ``applications.request.sent.v1`` (accepted,
with the request id) or ``applications.request.rejected.v1`` (refused, with a code and reason).
Publishing the same message id again has no further effect.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from typing import Any

import aio_pika


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Send a direct request as an employer system.")
    p.add_argument("--employer-id", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--job-id", required=True)
    p.add_argument("--seeker-id", required=True)
    p.add_argument("--message", required=True)
    p.add_argument("--client-reference", default=None, help="your own id for this request")
    p.add_argument("--message-id", default=None, help="default: a new UUID (resend: reuse it)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5672)
    p.add_argument("--vhost", default="/")
    p.add_argument("--prefix", default="", help="the deployment's BUS_PREFIX, if any")
    p.add_argument("--wait", type=float, default=15.0, help="seconds to wait for the answer")
    return p.parse_args(argv)


async def send(args: argparse.Namespace) -> dict[str, Any] | None:
    user = f"employer-{args.employer_id}"
    message_id = args.message_id or str(uuid.uuid4())
    client_reference = args.client_reference or f"example-{message_id[:8]}"
    connection = await aio_pika.connect(
        host=args.host,
        port=args.port,
        login=user,
        password=args.password,
        virtualhost=args.vhost,
    )
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        # no declaration: the user may not configure anything; the exchange exists
        exchange = await channel.get_exchange(f"{args.prefix}employer.requests", ensure=False)
        body = {
            "job_id": args.job_id,
            "seeker_id": args.seeker_id,
            "message": args.message,
            "client_reference": client_reference,
        }
        await exchange.publish(
            aio_pika.Message(
                json.dumps(body, ensure_ascii=False).encode(),
                content_type="application/json",
                message_id=message_id,
                user_id=user,  # RabbitMQ refuses the message if this is not the login
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key="employer.request.submitted.v1",
            mandatory=True,
        )
        print(f"sent message_id={message_id} client_reference={client_reference}")
        replies = await channel.get_queue(
            f"{args.prefix}employer-{args.employer_id}.replies", ensure=False
        )
        return await answer(replies, message_id, client_reference, args.wait)


async def answer(
    queue: aio_pika.abc.AbstractQueue, message_id: str, client_reference: str, wait: float
) -> dict[str, Any] | None:
    """The reply about this message (others are left for whoever else reads the queue)."""
    deadline = asyncio.get_running_loop().time() + wait
    while asyncio.get_running_loop().time() < deadline:
        msg = await queue.get(fail=False)
        if msg is None:
            await asyncio.sleep(0.2)
            continue
        envelope = json.loads(msg.body)
        data = envelope.get("data", {})
        if data.get("message_id") == message_id or data.get("client_reference") == client_reference:
            await msg.ack()
            return dict(envelope)
        await msg.nack(requeue=True)
        await asyncio.sleep(0.2)
    return None


def main() -> None:
    reply = asyncio.run(send(parse()))
    if reply is None:
        print("no answer yet (the service may be busy); the reply will wait in your queue")
        sys.exit(2)
    data = reply["data"]
    if reply["type"] == "applications.request.sent.v1":
        print(f"accepted: request_id={data['request_id']}")
        return
    print(f"refused: {data['code']} — {data['detail']} ({data['detail_en']})")
    sys.exit(1)


if __name__ == "__main__":
    main()
