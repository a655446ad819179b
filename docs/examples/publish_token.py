#!/usr/bin/python3
"""Announces one instance with a discovery token v1 from Python, with pika
(Debian's python3-pika), once: run it again within the ttl to stay listed.

    AMQP_SERVER_URL=amqp://guest:guest@localhost:5672/ \\
        /usr/bin/python3 docs/examples/publish_token.py SERVICE ADDRESS PORT [TTL]

With DISCOVERY_SECRET set, the token is signed (x-signature header).
"""
import hashlib
import hmac
import json
import os
import socket
import sys
import time
import urllib.parse

import pika


def main():
    service, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ttl = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    url = os.environ.get("AMQP_SERVER_URL", "amqp://guest:guest@localhost:5672/")
    now_ms = int(time.time() * 1000)
    token = {
        "state": "UP",
        "address": address,
        "service": service,
        "port": port,
        "instanceId": f"{address}:{port}",
        "hostname": socket.gethostname(),
        "ttl": ttl,
        "seq": now_ms,  # must grow with every token of one instance
        "ts": now_ms,
    }
    body = json.dumps(token, separators=(",", ":")).encode()
    headers = {}
    secret = os.environ.get("DISCOVERY_SECRET")
    if secret:
        headers["x-signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    props = pika.BasicProperties(
        content_type="application/json",
        delivery_mode=1,
        expiration=str(ttl * 1000),
        timestamp=now_ms // 1000,
        # RabbitMQ checks it against the login: the registry then knows
        # which broker user announced the instance.
        user_id=urllib.parse.unquote(urllib.parse.urlsplit(url).username or "guest"),
        headers=headers,
    )
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.exchange_declare("discovery", exchange_type="topic", durable=True)
        channel.basic_publish("discovery", f"discovery.{service}.up", body, props)
    finally:
        connection.close()
    print("published", body.decode())


if __name__ == "__main__":
    main()
