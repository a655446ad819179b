#!/usr/bin/env python3
"""The conformance battery of both HTTP servers (tests/integration/
test_http_conformance.sh runs it): hostile and unusual requests, each with
the status and body shape it must get, and after each a normal request on
the same connection (unless the answer closes it, which is then checked)
and on a new one. Every JSON body is parsed strictly (bytes must be UTF-8,
as Python's json takes them). Loopback only.

  http_conformance.py registry PORT
  http_conformance.py account PORT QUOTES_PORT
      the battery against a running server; the accountservice's quotes
      come from the stand-in below, whose body the battery sets.
  http_conformance.py quotes PORT
      a hostile quotes-service: GET answers the body last PUT to /body.
"""
import http.server
import json
import socket
import sys
import time

HOST = "127.0.0.1"
TIMEOUT_S = 10.0
FAILURES = []


def fail(name, msg):
    FAILURES.append("%s: %s" % (name, msg))
    print("FAIL %s: %s" % (name, msg), flush=True)


class Conn:
    """A raw client connection that reads responses strictly."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=TIMEOUT_S)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def fill(self):
        b = self.s.recv(65536)
        if not b:
            raise EOFError("connection closed")
        self.buf += b

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head=False, stream=False):
        """(status, headers {lower name: [values]}, body). 1xx skipped.
        A stream's body is its first event."""
        while True:
            status_line = self.line()
            parts = status_line.split(b" ", 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
                raise ValueError("bad status line %r" % status_line[:80])
            status = int(parts[1])
            headers = {}
            while True:
                h = self.line()
                if h == b"":
                    break
                k, sep, v = h.partition(b":")
                if not sep:
                    raise ValueError("bad header line %r" % h[:80])
                headers.setdefault(k.decode("latin-1").lower(), []).append(v.strip().decode("latin-1"))
            if status >= 200:
                break
        if head or status in (204, 304):
            return status, headers, b""
        if stream:
            return status, headers, self.first_event("transfer-encoding" in headers)
        if "transfer-encoding" in headers:
            body = b""
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line() != b"":
                        pass
                    return status, headers, body
                body += self.take(size)
                self.take(2)
        if "content-length" in headers:
            return status, headers, self.take(int(headers["content-length"][0]))
        while True:
            try:
                self.fill()
            except EOFError:
                body, self.buf = self.buf, b""
                return status, headers, body

    def first_event(self, chunked):
        """The first block of a stream with an event: line (a block of
        only retry: or comments is skipped)."""
        data = b""
        while True:
            while b"\n\n" in data:
                block, data = data.split(b"\n\n", 1)
                if any(l.startswith(b"event:") for l in block.split(b"\n")):
                    return block
            if chunked:
                size = int(self.line().split(b";")[0], 16)
                data += self.take(size)
                self.take(2)
            else:
                self.fill()
                data, self.buf = data + self.buf, b""

    def closed(self):
        """True when the server closes the connection (within the timeout)."""
        try:
            while True:
                self.fill()
        except (EOFError, ConnectionResetError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def req(method, target, headers=None, version="HTTP/1.1", body=b""):
    lines = ["%s %s %s" % (method, target, version)]
    for k, v in (headers if headers is not None else [("Host", "conformance")]):
        lines.append(k if v is None else "%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def strict_json(name, body):
    try:
        return json.loads(body.decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError) as e:
        fail(name, "body is not valid JSON (%s): %r" % (e, body[:120]))
        return None


def check_body(name, status, headers, body, shape):
    if shape == "none":
        if body:
            fail(name, "a body where none belongs: %r" % body[:80])
    elif shape == "json" or (shape == "error" and status >= 400):
        ctype = headers.get("content-type", [""])[0]
        if not ctype.startswith("application/json"):
            fail(name, "content type %r" % ctype)
        doc = strict_json(name, body)
        if shape == "error" and not (isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"]):
            fail(name, "no error sentence in %r" % body[:120])
    elif shape == "sse":
        if headers.get("content-type", [""])[0] != "text/event-stream":
            fail(name, "not an event stream: %r" % headers.get("content-type"))
        fields = dict(l.split(b": ", 1) for l in body.split(b"\n") if b": " in l)
        if fields.get(b"event") != b"snapshot":
            fail(name, "first event %r" % body[:80])
        strict_json(name, fields.get(b"data", b""))


class Server:
    def __init__(self, port, normal):
        self.port = port
        self.normal = normal  # a target answered 200 with JSON

    def follow_up(self, name, conn):
        """The normal request on conn: it must still be served, as JSON."""
        conn.send(req("GET", self.normal))
        try:
            status, headers, body = conn.response()
        except (EOFError, ValueError, OSError) as e:
            fail(name, "the next request on the same connection: %s" % e)
            return
        if status != 200:
            fail(name, "the next request on the same connection got %d" % status)
        check_body(name + " (next)", status, headers, body, "json")
        if "close" in [v.lower() for v in headers.get("connection", [])]:
            fail(name, "a normal answer closes its connection (keep-alive lost)")

    def case(self, name, raw, status, shape="error", close=False, head=False, stream=False,
             expect_headers=None, chunks=None):
        """Sends raw (or chunks one by one), checks the answer, then the
        normal request on the same connection (or its close) and on a new
        one. status is a number or a tuple of those allowed."""
        conn = Conn(self.port)
        start = time.monotonic()
        try:
            if chunks:
                for c in chunks:
                    conn.send(c)
                    time.sleep(0.001)  # the split is the test, not a wait
            else:
                conn.send(raw)
            got, headers, body = conn.response(head=head, stream=stream)
        except (EOFError, ValueError, OSError) as e:
            fail(name, "no valid answer: %s" % e)
            conn.close()
            self.fresh(name)
            return None
        ms = (time.monotonic() - start) * 1000
        allowed = status if isinstance(status, tuple) else (status,)
        if got not in allowed:
            fail(name, "status %d, wanted %s, body %r" % (got, allowed, body[:120]))
        check_body(name, got, headers, body, shape)
        for k, want in (expect_headers or {}).items():
            have = ", ".join(headers.get(k.lower(), []))
            if not all(w in have for w in want):
                fail(name, "header %s is %r, wanted %s" % (k, have, want))
        says_close = "close" in [v.lower() for v in headers.get("connection", [])]
        if close:
            if not says_close or not conn.closed():
                fail(name, "the connection was not closed (Connection: %s)" % headers.get("connection"))
        elif not stream:
            if says_close:
                fail(name, "answered with Connection: close")
            else:
                self.follow_up(name, conn)
        conn.close()
        self.fresh(name)
        print("ok %-58s %3d %6.1f ms" % (name, got, ms), flush=True)
        return got, headers, body

    def fresh(self, name):
        conn = Conn(self.port)
        try:
            self.follow_up(name + " (new connection)", conn)
        finally:
            conn.close()


def common_cases(s, routes):
    """What both servers must answer alike; routes: every GET route."""
    H = [("Host", "conformance")]
    s.case("baseline GET", req("GET", s.normal), 200, "json")
    for r in routes:
        s.case("HEAD " + r, req("HEAD", r), 200, "none", head=True)
    for m in ("POST", "PUT", "DELETE", "PATCH"):
        s.case(m + " is 405 with Allow", req(m, s.normal), 405, expect_headers={"Allow": ["GET", "HEAD"]})
    s.case("HEAD of a 404 has no body", req("HEAD", "/nowhere"), 404, "none", head=True)
    s.case("unknown route", req("GET", "/nowhere"), 404)
    s.case("%00 in a query parameter", req("GET", s.normal + "?x=%00"), 400)
    s.case("two Content-Length values", req("GET", s.normal, H + [("Content-Length", "1"), ("Content-Length", "5")], body=b"xxxxx"), 400, close=True)
    s.case("the same Content-Length twice", req("GET", s.normal, H + [("Content-Length", "2"), ("Content-Length", "2")], body=b"xx"), 200, "json")
    s.case("Content-Length: -1", req("GET", s.normal, H + [("Content-Length", "-1")]), 400, close=True)
    s.case("Content-Length: 1x", req("GET", s.normal, H + [("Content-Length", "1x")], body=b"xx"), 400, close=True)
    s.case("Transfer-Encoding: gzip", req("GET", s.normal, H + [("Transfer-Encoding", "gzip")]), 501, close=True)
    s.case("Transfer-Encoding: gzip, chunked", req("GET", s.normal, H + [("Transfer-Encoding", "gzip, chunked")]), 501, close=True)
    s.case("chunked body on a GET", req("GET", s.normal, H + [("Transfer-Encoding", "chunked")], body=b"5\r\nhello\r\n0\r\n\r\n"), 413, close=True)
    s.case("Content-Length with Transfer-Encoding", req("GET", s.normal, H + [("Content-Length", "5"), ("Transfer-Encoding", "chunked")], body=b"0\r\n\r\n"), 400, close=True)
    s.case("HTTP/1.1 without Host", req("GET", s.normal, []), 400, close=True)
    s.case("two Host headers", req("GET", s.normal, H + [("Host", "other")]), 400, close=True)
    s.case("a header name with a space", req("GET", s.normal, H + [("Bad Name", "x")]), 400, close=True)
    s.case("absolute-form target", req("GET", "http://%s:%d%s" % (HOST, s.port, s.normal)), 200, "json")
    s.case("absolute-form, upper-case scheme", req("GET", "HTTP://%s%s" % (HOST, s.normal)), 200, "json")
    s.case("a repeated query key", req("GET", s.normal + "?a=1&a=2"), 400)
    s.case("a small body on a GET", req("GET", s.normal, H + [("Content-Length", "5")], body=b"abcde"), 200, "json")
    s.case("Expect: 100-continue", req("GET", s.normal, H + [("Expect", "100-continue"), ("Content-Length", "5")], body=b"abcde"), 200, "json")
    s.case("Expect: 100-continue, body too large", req("GET", s.normal, H + [("Expect", "100-continue"), ("Content-Length", "100000")]), 413, close=True)
    s.case("HTTP/1.0", req("GET", s.normal, [], version="HTTP/1.0"), 200, "json", close=True)
    s.case("HTTP/1.0 keep-alive", req("GET", s.normal, [("Connection", "keep-alive")], version="HTTP/1.0"), 200, "json")
    # The front door's refusals (common/hhead.c): JSON, and the connection closed.
    s.case("HTTP/0.9", ("GET %s\r\n\r\n" % s.normal).encode(), 400, close=True)
    s.case("HTTP/2.0", req("GET", s.normal, version="HTTP/2.0"), 505, close=True)
    s.case("HEAD in HTTP/2.0 has no body", req("HEAD", s.normal, version="HTTP/2.0"), 505, "none", head=True, close=True)
    s.case("HTTP/1.2 is served as 1.1", req("GET", s.normal, version="HTTP/1.2"), 200, "json")
    s.case("a header over the head limit", req("GET", s.normal, H + [("X-Big", "a" * 40000)]), 431, close=True)
    s.case("more header lines than allowed", req("GET", s.normal, H + [("X-%d" % i, "a") for i in range(100)]), 431, close=True)
    s.case("64 header lines are served", req("GET", s.normal, H + [("X-%d" % i, "a" * 50) for i in range(63)]), 200, "json")
    s.case("a request line over the head limit", req("GET", s.normal + "?x=" + "a" * 40000), 414, close=True)
    s.case("GARBAGE", b"GARBAGE\r\n\r\n", 400, close=True)
    s.case("a bare GET", b"GET\r\n\r\n", 400, close=True)
    s.case("two spaces after the method", ("GET  %s HTTP/1.1\r\nHost: x\r\n\r\n" % s.normal).encode(), 400, close=True)
    s.case("a space after the version", ("GET %s HTTP/1.1 \r\nHost: x\r\n\r\n" % s.normal).encode(), 400, close=True)
    s.case("a NUL in a header", req("GET", s.normal, H + [("X-Nul", "a\x00b")]), 400, close=True)
    s.case("a bare CR", ("GET %s HTTP/1.1\r\nHost: x\rX: y\r\n\r\n" % s.normal).encode(), 400, close=True)
    s.case("a header line without a colon", req("GET", s.normal, H + [("NoColon", None)]), 400, close=True)
    s.case("obsolete line folding", ("GET %s HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n" % s.normal).encode(), 400, close=True)
    s.case("empty lines before the request line", b"\r\n\r\n" + req("GET", s.normal), 200, "json")
    s.case("bare LF line ends", ("GET %s HTTP/1.1\nHost: x\n\n" % s.normal).encode(), 200, "json")
    # A later request on a kept-alive connection is read by libmicrohttpd
    # alone (docs/api.md): its own answer, status only.
    conn = Conn(s.port)
    try:
        conn.send(req("GET", s.normal))
        first = conn.response()[0]
        conn.send(req("GET", s.normal, version="HTTP/2.0"))
        second = conn.response()[0]
        if first != 200 or second != 505 or not conn.closed():
            fail("second request in HTTP/2.0", "statuses %d %d" % (first, second))
        print("ok a second request in HTTP/2.0: libmicrohttpd's 505", flush=True)
    except (EOFError, ValueError, OSError) as e:
        fail("second request in HTTP/2.0", str(e))
    conn.close()
    s.case("a URL over 2048 bytes", req("GET", s.normal + "?x=" + "a" * 3000), 414)
    s.case("request split byte by byte", None, 200, "json", chunks=[bytes([b]) for b in req("GET", s.normal)])
    s.case("invalid UTF-8 in a query value", req("GET", s.normal + "?x=%ff%c0%80"), 200, "json")
    # Pipelined: three requests in one write come back in order.
    conn = Conn(s.port)
    conn.send(req("GET", s.normal) + req("HEAD", s.normal) + req("GET", "/nowhere"))
    try:
        got = [conn.response()[0], conn.response(head=True)[0], conn.response()[0]]
        if got != [200, 200, 404]:
            fail("pipelining", "statuses %s" % got)
        s.follow_up("pipelining", conn)
        print("ok pipelining: GET, HEAD, 404 in order", flush=True)
    except (EOFError, ValueError, OSError) as e:
        fail("pipelining", str(e))
    conn.close()


def registry_cases(port):
    s = Server(port, "/health")
    routes = ["/", "/services", "/services/conformance", "/events", "/turbine/conformance", "/health", "/metrics"]
    common_cases(s, routes)
    pre = [("Host", "conformance"), ("Origin", "http://page.example"),
           ("Access-Control-Request-Method", "GET"),
           ("Access-Control-Request-Headers", "last-event-id, cache-control")]
    cors = {"Access-Control-Allow-Origin": ["*"], "Access-Control-Allow-Methods": ["GET", "HEAD"],
            "Access-Control-Allow-Headers": ["Last-Event-ID", "Cache-Control", "Accept", "Content-Type"],
            "Access-Control-Max-Age": [""]}
    for r in routes:
        s.case("CORS preflight " + r, req("OPTIONS", r, pre), (200, 204), "none", expect_headers=cors)
    s.case("OPTIONS without preflight", req("OPTIONS", "/services"), (200, 204), "none", expect_headers={"Allow": ["GET", "HEAD", "OPTIONS"]})
    s.case("OPTIONS of an unknown route", req("OPTIONS", "/nowhere", pre), 404)
    s.case("HEAD /events, then the next request", req("HEAD", "/events"), 200, "none", head=True,
           expect_headers={"Content-Type": ["text/event-stream"]})
    s.case("GET /events", req("GET", "/events"), 200, "sse", stream=True)
    for v, st in (("", 200), ("0", 200), ("1", 200), ("00001", 200), ("abc", 400), ("-1", 400),
                  ("18446744073709551616", 400), ("1.5", 400), ("1 2", 400), ("9" * 300, 400)):
        h = [("Host", "conformance"), ("Last-Event-ID", v)]
        s.case("Last-Event-ID %r" % v[:24], req("GET", "/events", h), st, "sse" if st == 200 else "error", stream=st == 200)
        s.case("HEAD /events, Last-Event-ID %r" % v[:24], req("HEAD", "/events", h), st, "none", head=True)
    s.case("%00 in the path", req("GET", "/services/a%00b"), 400)
    s.case("%00 in ?index", req("GET", "/services/x?index=1%00abc"), 400)
    s.case("%00 in ?state", req("GET", "/services/x?state=UP%00"), 400)
    s.case("index=1&index=abc", req("GET", "/services/x?index=1&index=abc"), 400)
    s.case("index=abc&index=1", req("GET", "/services/x?index=abc&index=1"), 400)
    s.case("state=UP&state=DOWN", req("GET", "/services/x?state=UP&state=DOWN"), 400)
    s.case("a bare ?index", req("GET", "/services/x?index"), 400)
    s.case("a bare ?state", req("GET", "/services/x?state"), 400)
    s.case("?index=", req("GET", "/services/x?index="), 400)
    for q in ("index=-1", "index=abc", "index=%2B1", "index=99999999999999999999999", "wait=11m",
              "index=1&wait=abc", "index=1&wait=-1s", "state=up%20", "state=SLEEPING"):
        s.case("bad parameter " + q, req("GET", "/services/x?" + q), 400)
    s.case("state filters one service only", req("GET", "/services?state=UP"), 400)
    s.case("a good filter", req("GET", "/services/x?state=UP"), 200, "json")
    s.case("an unknown parameter is ignored", req("GET", "/services/x?foo=bar"), 200, "json")
    s.case("/services/../health", req("GET", "/services/../health"), 404)
    s.case("//services", req("GET", "//services"), 404)
    s.case("/services/", req("GET", "/services/"), 404)
    s.case("/services/a/b", req("GET", "/services/a/b"), 404)
    s.case("/services/%2e%2e", req("GET", "/services/%2e%2e"), 400)
    s.case("an upper-case name", req("GET", "/services/Accounts"), 400)
    s.case("invalid UTF-8 in a name", req("GET", "/services/%ff%fe"), 400)
    s.case("raw invalid UTF-8 in a name", b"GET /services/\xff\xc0\x80 HTTP/1.1\r\nHost: x\r\n\r\n", 400)
    s.case("a name of 63 characters", req("GET", "/services/" + "a" * 63), 200, "json")
    s.case("a name of 64 characters", req("GET", "/services/" + "a" * 64), 400)
    s.case("a space in the target", req("GET", "/services/a b"), 400, close=True)
    # A blocking query inside a pipeline: held, answered at its wait, and
    # the request behind it is answered after it, in order.
    conn = Conn(port)
    c2 = Conn(port)
    c2.send(req("GET", "/services/conformance"))
    index = strict_json("index", c2.response()[2])["index"]
    c2.close()
    start = time.monotonic()
    conn.send(req("GET", "/services/conformance?index=%d&wait=500ms" % index) + req("GET", "/health"))
    try:
        first = conn.response()
        held = (time.monotonic() - start) * 1000
        second = conn.response()
        if first[0] != 200 or second[0] != 200 or held < 400:
            fail("pipelined blocking query", "statuses %d %d after %.0f ms" % (first[0], second[0], held))
        strict_json("pipelined blocking query", first[2])
        s.follow_up("pipelined blocking query", conn)
        print("ok pipelined blocking query: held %.0f ms, the next answered after it" % held, flush=True)
    except (EOFError, ValueError, OSError) as e:
        fail("pipelined blocking query", str(e))
    conn.close()


def raw_answer(port, request, head=False):
    """The answer's head without its Date line, and its body."""
    c = Conn(port)
    c.send(request)
    while b"\r\n\r\n" not in c.buf:
        c.fill()
    top, c.buf = c.buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in top.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = b"" if head else c.take(length)
    c.close()
    return b"\r\n".join(l for l in top.split(b"\r\n") if not l.startswith(b"Date: ")), body


def held_cases(port):
    """A held query's answer is written by the registry itself, outside
    libmicrohttpd: it must be the answer libmicrohttpd writes for the same
    request without ?index, byte for byte but the Date."""
    c = Conn(port)
    c.send(req("GET", "/services/conformance"))
    index = strict_json("index", c.response()[2])["index"]
    c.close()
    variants = [
        ("HTTP/1.1", "GET", [("Host", "conformance")]),
        ("HTTP/1.1, Connection: close", "GET", [("Host", "conformance"), ("Connection", "close")]),
        ("HTTP/1.1, gzip", "GET", [("Host", "conformance"), ("Accept-Encoding", "gzip")]),
        ("HTTP/1.1, HEAD", "HEAD", [("Host", "conformance")]),
    ]
    for name, method, headers in variants:
        plain = raw_answer(port, req(method, "/services/conformance", headers), method == "HEAD")
        held = raw_answer(port, req(method, "/services/conformance?index=%d&wait=200ms" % index,
                                    headers), method == "HEAD")
        if held != plain:
            fail("held answer, " + name, "%r\nis not\n%r" % (held, plain))
        else:
            print("ok held answer, %s: the same bytes as libmicrohttpd's" % name, flush=True)
    for name, version, headers in [("HTTP/1.0", "HTTP/1.0", []),
                                   ("HTTP/1.0 keep-alive", "HTTP/1.0", [("Connection", "keep-alive")])]:
        plain = raw_answer(port, req("GET", "/services/conformance", headers, version))
        held = raw_answer(port, req("GET", "/services/conformance?index=%d&wait=200ms" % index,
                                    headers, version))
        if held != plain:
            fail("held answer, " + name, "%r\nis not\n%r" % (held, plain))
        else:
            print("ok held answer, %s: the same bytes as libmicrohttpd's" % name, flush=True)


def set_quote(quotes_port, body):
    c = Conn(quotes_port)
    c.send(req("PUT", "/body", [("Host", "q"), ("Content-Length", str(len(body)))], body=body))
    status = c.response()[0]
    c.close()
    if status != 204:
        raise SystemExit("quotes stand-in refused the body: %d" % status)


def metric(port, name):
    c = Conn(port)
    c.send(req("GET", "/metrics"))
    text = c.response()[2].decode()
    c.close()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    raise SystemExit("no metric " + name)


def account_cases(port, quotes_port):
    s = Server(port, "/accounts/10000")
    set_quote(quotes_port, b'{"quote":"q","ipAddress":"x","language":"en"}')
    routes = ["/accounts/10000", "/health", "/metrics", "/testability/healthy/true"]
    common_cases(s, routes)
    for r in routes:
        s.case("OPTIONS " + r + " is 405 with Allow", req("OPTIONS", r), 405, expect_headers={"Allow": ["GET", "HEAD"]})
    s.case("%00 in the id", req("GET", "/accounts/10000%00abc"), 400)
    s.case("%00 after the flag", req("GET", "/testability/healthy/false%00"), 400)
    s.case("the flag is untouched", req("GET", "/health"), 200, "json")
    s.case("/accounts/../health", req("GET", "/accounts/../health"), 400)
    s.case("//accounts/10000", req("GET", "//accounts/10000"), 404)
    s.case("an id of 33 digits", req("GET", "/accounts/" + "1" * 33), 400)
    s.case("an id with a sign", req("GET", "/accounts/%2B10000"), 400)
    s.case("an unknown id", req("GET", "/accounts/99999"), 404)
    s.case("invalid UTF-8 in the id", req("GET", "/accounts/%c0%80"), 400)
    s.case("a repeated key on an account", req("GET", "/accounts/10000?a&a"), 400)
    # A hostile quotes-service: what it sends never makes our JSON invalid.
    bad = [b"\xff\xfe\xc0\x80", b"\xc0\x80", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
           b"\xc3", b"\xe2\x82", b"\x80", b"abc\\u0000def", b"a\x00b"]
    for q in bad:
        set_quote(quotes_port, b'{"quote":"' + q + b'","ipAddress":"x","language":"en"}')
        before = metric(port, 'accountservice_quote_calls_total{outcome="error"}')
        got = s.case("quote %r" % q, req("GET", "/accounts/10000"), 200, "json")
        if got:
            doc = strict_json("quote %r" % q, got[2])
            if not doc or doc["quote"]["ipAddress"] != "circuit-breaker":
                fail("quote %r" % q, "not the fallback: %r" % got[2][:160])
        if metric(port, 'accountservice_quote_calls_total{outcome="error"}') < before + 1:
            fail("quote %r" % q, "the failed quote call is not counted")
    set_quote(quotes_port, '{"quote":"caf\u00e9 \\ud83d\\ude00","ipAddress":"x","language":"en"}'.encode())
    got = s.case("a well-formed quote with escapes", req("GET", "/accounts/10000"), 200, "json")
    if got and strict_json("escapes", got[2])["quote"]["quote"] != "caf\u00e9 \U0001F600":
        fail("a well-formed quote with escapes", "changed: %r" % got[2])


class Quotes(http.server.BaseHTTPRequestHandler):
    body = b'{"quote":"q","ipAddress":"x","language":"en"}'
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Quotes.body)))
        self.end_headers()
        self.wfile.write(Quotes.body)

    def do_PUT(self):
        Quotes.body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "quotes":
        http.server.ThreadingHTTPServer((HOST, int(sys.argv[2])), Quotes).serve_forever()
    elif len(sys.argv) == 3 and sys.argv[1] == "registry":
        registry_cases(int(sys.argv[2]))
        held_cases(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "account":
        account_cases(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
    if FAILURES:
        print("%d failed:\n  %s" % (len(FAILURES), "\n  ".join(FAILURES)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
