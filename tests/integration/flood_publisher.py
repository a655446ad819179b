#!/usr/bin/python3
"""Floods one service with valid discovery tokens of about 3.7 KB, each with
its own instanceId, from one AMQP connection (tests/integration/
test_registry_flood.sh). Debian's python3-pika; loopback brokers only.

    flood_publisher.py AMQP_URL SERVICE COUNT TTL
"""
import json
import sys

import pika


def token(service, i, ttl):
    # Metadata values of 1,000 characters at most (the decoder's limit)
    # make the body about 3.7 KB of the 4,096 allowed.
    meta = {"k%d" % k: ("%d-%d-" % (i, k)).ljust(500 if k == 3 else 1000, "x")
            for k in range(4)}
    body = {
        "state": "UP",
        "address": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255),
        "port": 8080,
        "instanceId": "flood-%06d" % i,
        "hostname": "flood-%06d" % i,
        "healthUrl": "http://flood-%06d:8080/health" % i,
        "ttl": ttl,
        "seq": 1,
        "metadata": meta,
    }
    text = json.dumps(body, separators=(",", ":"))
    assert 3500 < len(text) < 4096, len(text)
    return text


def main():
    url, service, count, ttl = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    ch.exchange_declare("discovery", exchange_type="topic", durable=True)
    props = pika.BasicProperties(content_type="application/json", delivery_mode=1,
                                 expiration=str(ttl * 1000))
    key = "discovery.%s.up" % service
    for i in range(count):
        ch.basic_publish("discovery", key, token(service, i, ttl), props)
    conn.close()


if __name__ == "__main__":
    main()
