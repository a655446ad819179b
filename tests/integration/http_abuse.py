#!/usr/bin/env python3
"""The clients that tried to exhaust the HTTP servers, for the tests of their
limits (tests/integration/test_http_limits.sh). Loopback only: every
connection goes to 127.0.0.1 (or comes from another 127.0.0.0/8 source).

  http_abuse.py held-close PORT COUNT PATH GAUGE
      COUNT clients send GET PATH (a blocking query or /events), wait until
      /metrics shows GAUGE at COUNT, then close; passes when GAUGE is back
      at 0 within 5 s, and prints how long that took.
  http_abuse.py half-sent PORT COUNT SOURCE CAP TIMEOUT_S
      COUNT connections from SOURCE each send half a request and then one
      byte a second; passes when at most CAP of them were let in, all of
      them are closed by the server within TIMEOUT_S + 3 s, and meanwhile a
      client from 127.0.0.1 is answered at once.
  http_abuse.py per-client PORT CAP
      CAP keep-alive connections are each answered; the next one is closed
      at once, unanswered; one of the CAP closes and a new one is answered.
  http_abuse.py total PORT CAP
      The same with the cap in all: each connection from its own address.
  http_abuse.py big-body PORT PATH
      A GET announcing a 50 MB body gets 413 with a JSON body after 64 KiB,
      and the connection is closed, long before the 50 MB could be sent.
"""
import json
import resource
import socket
import sys
import time
import urllib.request

HOST = "127.0.0.1"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def metric(port, name):
    text = urllib.request.urlopen("http://%s:%d/metrics" % (HOST, port), timeout=5).read()
    for line in text.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    fail("no metric " + name)


def wait_until(what, cond, timeout_s):
    """Polls cond every 20 ms; returns the seconds it took, or fails."""
    start = time.monotonic()
    while not cond():
        if time.monotonic() - start > timeout_s:
            fail("%s not within %.1f s" % (what, timeout_s))
        time.sleep(0.02)
    return time.monotonic() - start


def connect(port, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if source:
        s.bind((source, 0))
    s.settimeout(2)  # a full backlog must not hang the test
    s.connect((HOST, port))
    s.settimeout(None)
    return s


def request(path):
    return ("GET %s HTTP/1.1\r\nHost: test\r\n\r\n" % path).encode()


def read_response(s, timeout_s=5):
    """One HTTP response (status, body) on a keep-alive connection;
    (None, None) when the server closed or said nothing for timeout_s."""
    s.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return None, None
        if not chunk:
            return None, None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-length":
            length = int(value)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


def closed_by_server(s):
    """True when the server closed (or reset) s; never blocks."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def served_at_once(port):
    start = time.monotonic()
    try:
        s = connect(port)
        s.sendall(request("/health"))
        status, _ = read_response(s)
        s.close()
    except OSError:
        status = None
    if status is None:
        fail("a client from 127.0.0.1 was not answered")
    return time.monotonic() - start


def held_close(port, count, path, gauge, outside=None):
    raise_fd_limit()
    socks = []
    for _ in range(count):
        s = connect(port)
        s.sendall(request(path))
        socks.append(s)
    wait_until("%s at %d" % (gauge, count), lambda: metric(port, gauge) >= count, 10)
    if outside is not None:
        # Held outside the HTTP library: the registry's own gauge.
        wait_until("%s at %d" % (outside, count), lambda: metric(port, outside) == count, 10)
    for s in socks:
        s.close()
    took = wait_until("%s back at 0" % gauge, lambda: metric(port, gauge) == 0, 5)
    print("%d held %s freed %.0f ms after their clients closed" % (count, path, took * 1000))


def half_sent(port, count, source, cap, timeout_s):
    raise_fd_limit()
    half = b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: "
    socks = []
    for _ in range(count):
        try:
            s = connect(port, source)
            s.sendall(half)
            socks.append(s)
        except socket.timeout:
            break  # the server accepts nothing more: the check below fails
        except OSError:
            pass  # refused at once: what the cap is for
    start = time.monotonic()
    # The refused ones are closed as soon as the server accepts them.
    let_in = socks
    def within_cap():
        nonlocal let_in
        let_in = [s for s in let_in if not closed_by_server(s)]
        return len(let_in) <= cap
    try:
        wait_until("at most %d connections from one address" % cap, within_cap, 5)
    finally:
        print("%d of %d half-sent requests from %s let in (cap %d)"
              % (len(let_in), count, source, cap))
    took = served_at_once(port)
    print("a client from 127.0.0.1 answered in %.1f ms meanwhile" % (took * 1000))
    # One byte a second: never inactive, so only a request deadline ends it.
    open_ones = let_in
    while open_ones:
        if time.monotonic() - start > timeout_s + 3:
            fail("%d half-sent requests still open after %.0f s"
                 % (len(open_ones), time.monotonic() - start))
        still = []
        for s in open_ones:
            try:
                s.send(b"x")
            except OSError:
                s.close()
                continue
            if closed_by_server(s):
                s.close()
            else:
                still.append(s)
        open_ones = still
        time.sleep(1 if open_ones else 0)
    print("every half-sent request closed by the server %.1f s after it began"
          % (time.monotonic() - start))
    for s in socks:
        s.close()


def capped(port, cap, source_of):
    """cap connections answered, the next refused unanswered, and a new one
    let in once one of the cap closes; connection i comes from source_of(i)."""
    def answered(i, timeout_s=5):
        s = connect(port, source_of(i))
        try:
            s.sendall(request("/health"))
            ok = read_response(s, timeout_s)[0] is not None
        except OSError:
            ok = False
        return s, ok
    socks = []
    for i in range(cap):
        s, ok = answered(i)
        if not ok:
            fail("connection %d of %d not answered" % (i + 1, cap))
        socks.append(s)
    extra, ok = answered(cap)
    extra.close()
    if ok:
        fail("connection %d answered past the cap of %d" % (cap + 1, cap))
    socks.pop().close()
    # The server counts the close once it has read it.
    def admitted():
        s, ok = answered(cap, 1)
        s.close()
        return ok
    wait_until("a connection admitted again after a close", admitted, 5)
    print("%d connections answered, connection %d refused, a new one let in after a close"
          % (cap, cap + 1))
    for s in socks:
        s.close()


def per_client(port, cap):
    capped(port, cap, lambda i: None)


def total(port, cap):
    # Each from its own address: only the cap in all applies.
    capped(port, cap, lambda i: "127.0.%d.%d" % (1 + i // 250, 2 + i % 250))


def big_body(port, path):
    s = connect(port)
    start = time.monotonic()
    s.sendall(("GET %s HTTP/1.1\r\nHost: test\r\nContent-Length: 50000000\r\n\r\n"
               % path).encode())
    try:
        s.sendall(b"x" * 65536)
    except OSError:
        pass  # the server may have answered and closed already
    status, body = read_response(s)
    if status != 413:
        fail("a 50 MB body got %s, not 413" % status)
    if "error" not in json.loads(body):
        fail("413 without a JSON error: %r" % body)
    wait_until("the connection closed after the 413", lambda: closed_by_server(s), 2)
    print("50 MB body refused with 413 in %.1f ms, unread"
          % ((time.monotonic() - start) * 1000))
    s.close()


def main(argv):
    if len(argv) < 3:
        fail(__doc__)
    cmd, port = argv[1], int(argv[2])
    args = argv[3:]
    if cmd == "held-close":
        held_close(port, int(args[0]), args[1], args[2], args[3] if len(args) > 3 else None)
    elif cmd == "half-sent":
        half_sent(port, int(args[0]), args[1], int(args[2]), float(args[3]))
    elif cmd == "per-client":
        per_client(port, int(args[0]))
    elif cmd == "total":
        total(port, int(args[0]))
    elif cmd == "big-body":
        big_body(port, args[0])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv)
