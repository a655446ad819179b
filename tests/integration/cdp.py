#!/usr/bin/python3
"""Drives the page of a headless Chromium over the DevTools protocol, one
command a run, for tests/integration/test_dashboard.sh. Debian's
python3-websocket; the browser and every page it is sent to are on loopback.

    cdp.py PROFILE open URL                  load URL, with the page's problems recorded
    cdp.py PROFILE eval EXPRESSION           print the value, as JSON
    cdp.py PROFILE wait TIMEOUT_MS EXPRESSION
                                             until EXPRESSION is truthy: print the
                                             milliseconds it took, or exit 1 with its
                                             last value
    cdp.py PROFILE shot FILE [WIDTH HEIGHT]  a PNG of the page at that size (1280x800)

PROFILE is the browser's --user-data-dir: started with
--remote-debugging-port=0, the browser writes the port it took there
(DevToolsActivePort), so no port is guessed.

The page keeps running between commands. "open" records in window.__problems
what would show in the browser's console as an error: content security
policy violations (an inline handler that a token smuggled in as HTML would
be one), uncaught exceptions and unhandled rejections.
"""
import base64
import json
import sys
import time
import urllib.request

import websocket

RECORD_PROBLEMS = """
window.__problems = [];
addEventListener('securitypolicyviolation', (e) =>
    __problems.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI));
addEventListener('error', (e) => __problems.push('error: ' + e.message));
addEventListener('unhandledrejection', (e) => __problems.push('rejection: ' + e.reason));
"""


class Page:
    def __init__(self, profile):
        with open(profile + "/DevToolsActivePort") as f:
            port = int(f.readline())
        # No proxy from the environment: everything here is on loopback.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open("http://127.0.0.1:%d/json/list" % port, timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t["type"] == "page")
        # Chromium refuses DevTools connections that send an Origin header
        # unless told which to allow; a client that sends none is let in.
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.last = 0

    def call(self, method, **params):
        self.last += 1
        self.ws.send(json.dumps({"id": self.last, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.last:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg["result"]

    def until_event(self, method, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            msg = json.loads(self.ws.recv())
            if msg.get("method") == method:
                return msg
        raise TimeoutError(method)

    def eval(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise RuntimeError(d.get("exception", {}).get("description", d.get("text")))
        return r["result"].get("value")


def main():
    profile, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    page = Page(profile)
    if cmd == "open":
        page.call("Page.enable")
        page.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_PROBLEMS)
        nav = page.call("Page.navigate", url=args[0])
        if nav.get("errorText"):
            print("cdp.py: %s: %s" % (args[0], nav["errorText"]), file=sys.stderr)
            return 1
        page.until_event("Page.loadEventFired", 30)
    elif cmd == "eval":
        print(json.dumps(page.eval(args[0]), separators=(",", ":")))
    elif cmd == "wait":
        timeout_ms, expression = int(args[0]), args[1]
        start = time.monotonic()
        value = None
        while (time.monotonic() - start) * 1000 < timeout_ms:
            value = page.eval(expression)
            if value:
                print(round((time.monotonic() - start) * 1000))
                return 0
            time.sleep(0.05)
        print("still %s after %d ms: %s" % (json.dumps(value), timeout_ms, expression),
              file=sys.stderr)
        return 1
    elif cmd == "shot":
        width, height = (int(args[1]), int(args[2])) if len(args) > 2 else (1280, 800)
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        shot = page.call("Page.captureScreenshot", format="png")
        with open(args[0], "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    else:
        print("cdp.py: unknown command %s" % cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
