#!/usr/bin/env python3
"""Loads Portico's live status page in headless Chromium over the DevTools protocol.

Checks that the page renders without console errors or uncaught exceptions, that no
poll-failure banner is shown, and that its numbers (every element with a
`data-metric` attribute) change while traffic flows. Saves a screenshot.

Usage: status_page_check.py URL SCREENSHOT.png [--wait SECONDS] [--interval SECONDS]
                            [--require METRIC ...] [--chromium PATH]

URL may carry the admin token as a fragment (`http://127.0.0.1:9901/#token=...`).
Exits 0 when every check passes, 1 otherwise (and prints why).
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    import websocket  # websocket-client
except ImportError:  # pragma: no cover - the shell wrapper installs it
    sys.exit("status_page_check.py needs the websocket-client package (pip install websocket-client)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DevTools:
    """A minimal Chrome DevTools protocol client over one page target."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        message_id = self.next_id
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def pump(self, seconds):
        """Collects events for `seconds`."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.time()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            if "method" in message:
                self.events.append(message)
        self.ws.settimeout(30)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def problems(self):
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = details.get("exception", {}).get("description") or details.get("text")
                found.append(f"uncaught exception: {text}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
                found.append(f"console.{params.get('type')}: {args}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log error ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
        return found


READ_METRICS = """
(() => {
  const values = {};
  for (const node of document.querySelectorAll('[data-metric]')) {
    values[node.getAttribute('data-metric')] = node.textContent.trim();
  }
  const banner = document.getElementById('banner');
  return { values, banner: banner && banner.classList.contains('show') ? banner.textContent : null,
           rows: document.querySelectorAll('[data-server]').length };
})()
"""


def find_chromium(explicit):
    for candidate in [explicit, "chromium", "chromium-browser", "google-chrome", "chrome"]:
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    sys.exit("no chromium found (apt-get install chromium)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("screenshot")
    parser.add_argument("--wait", type=float, default=4.0, help="seconds after load before the first reading")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between the two readings")
    parser.add_argument("--require", nargs="*", default=["total_requests"],
                        help="metrics that must change between the readings (default: total_requests)")
    parser.add_argument("--chromium", default=None)
    args = parser.parse_args()

    chromium = find_chromium(args.chromium)
    port = free_port()
    profile = tempfile.mkdtemp(prefix="portico-chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={profile}", "--window-size=1280,1100", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    failures = []
    try:
        targets = None
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as response:
                    targets = [t for t in json.load(response) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if not targets:
            sys.exit("chromium did not open its DevTools endpoint")
        tools = DevTools(targets[0]["webSocketDebuggerUrl"])
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            tools.call(domain)
        tools.call("Emulation.setDeviceMetricsOverride", width=1280, height=1100, deviceScaleFactor=1, mobile=False)
        tools.call("Page.navigate", url=args.url)
        tools.pump(args.wait)
        first = tools.evaluate(READ_METRICS)
        tools.pump(args.interval)
        second = tools.evaluate(READ_METRICS)
        shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
        with open(args.screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))

        print("first reading: ", json.dumps(first["values"], sort_keys=True))
        print("second reading:", json.dumps(second["values"], sort_keys=True))
        print(f"upstream rows: {second['rows']}; screenshot: {args.screenshot}")
        failures += tools.problems()
        if second["banner"]:
            failures.append(f"poll-failure banner shown: {second['banner']}")
        if not second["values"]:
            failures.append("no data-metric elements found")
        changed = [name for name in second["values"] if second["values"][name] != first["values"].get(name)]
        print("changed:", ", ".join(sorted(changed)) or "nothing")
        for name in args.require:
            if name not in second["values"]:
                failures.append(f"metric {name} is missing")
            elif name not in changed:
                failures.append(f"metric {name} did not change ({second['values'][name]})")
            elif second["values"][name] in ("", "–"):
                failures.append(f"metric {name} shows no number")
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
        shutil.rmtree(profile, ignore_errors=True)

    if failures:
        print("FAILED:")
        for failure in failures:
            print("  -", failure)
        return 1
    print("status page check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
