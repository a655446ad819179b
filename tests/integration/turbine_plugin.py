"""Plays eriklupander/turbine-amqp-plugin in tests/integration/test_legacy_out.sh.

Like the plugin it does not declare the queue: it consumes QUEUE with
auto-ack once the registry has declared it, reads each body as the plugin's
Jackson mapper would (an object with string "state" and "address" and no
other field, state UP or DOWN). Each message becomes one line on stdout: "UP <address>" or "DOWN <address>",
or "BAD <body>" for one the plugin could not read.

    python3 turbine_plugin.py AMQP_URL QUEUE
"""
import json
import sys
import time

import pika

STATES = ("UP", "DOWN")


def understood(body):
    try:
        token = json.loads(body)
    except ValueError:
        return None
    if not isinstance(token, dict) or set(token) != {"state", "address"}:
        return None
    if token["state"] not in STATES or not isinstance(token["address"], str):
        return None
    return token


def main():
    url, queue = sys.argv[1], sys.argv[2]
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = pika.BlockingConnection(pika.URLParameters(url))
            channel = conn.channel()
            channel.queue_declare(queue, passive=True)
            break
        except (pika.exceptions.ChannelClosedByBroker, pika.exceptions.AMQPConnectionError):
            if time.monotonic() > deadline:
                print("NOQUEUE", flush=True)
                return 1
            time.sleep(0.1)

    def on_message(ch, method, properties, body):
        token = understood(body)
        if token is None:
            print("BAD", body.decode("utf-8", "replace"), flush=True)
            return
        print(token["state"], token["address"], flush=True)

    channel.basic_consume(queue, on_message, auto_ack=True)
    print("READY", flush=True)
    channel.start_consuming()
    return 0


if __name__ == "__main__":
    sys.exit(main())
