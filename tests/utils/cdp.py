"""Drive the system's headless Chromium over the Chrome DevTools Protocol (a websocket), for page tests.

    with Chromium() as browser:                       # starts `chromium --headless` (no browser download)
        browser.navigate("http://127.0.0.1:9090/...")
        browser.evaluate("document.title")            # -> the value (awaits promises)
        browser.screenshot(path)                      # PNG of the viewport

`find_chromium()` looks for the Debian `chromium` package's binary (or $LEROBOT_CHROMIUM); the browser
runs with a fresh profile in a temporary folder, without sandbox (tests run as root in CI) and with
autoplay allowed, so that muted videos play without a user gesture.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    env = os.environ.get("LEROBOT_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(RuntimeError):
    pass


class Chromium:
    def __init__(
        self, binary: str | None = None, width: int = 1280, height: int = 800, timeout_s: float = 30
    ):
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise FileNotFoundError("chromium not found: apt-get install chromium (or set LEROBOT_CHROMIUM)")
        self.width, self.height, self.timeout_s = width, height, timeout_s
        self._ids = itertools.count(1)
        self._proc: subprocess.Popen | None = None
        self._ws = None
        self._profile: str | None = None
        self.console: list[str] = []  # console messages and uncaught exceptions of the page

    def __enter__(self) -> Chromium:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        import websocket  # websocket-client (the `test` extra)

        self._profile = tempfile.mkdtemp(prefix="lerobot-chromium-")
        args = [
            self.binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            "--autoplay-policy=no-user-gesture-required",
            "--remote-debugging-port=0",
            f"--user-data-dir={self._profile}",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout_s
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace")[-2000:]
                raise CDPError(f"{self.binary} exited with {self._proc.returncode}: {err}")
            if time.monotonic() > deadline:
                raise CDPError(f"{self.binary} did not open its DevTools port within {self.timeout_s} s")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=self.timeout_s) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=self.timeout_s, suppress_origin=True
        )
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc.stderr.close()
            self._proc = None
        if self._profile is not None:
            # Chromium keeps its singleton socket in a /tmp/org.chromium.Chromium.* folder that the profile's
            # `SingletonSocket` link points to, and leaves it behind when it is stopped: remove it too.
            link = Path(self._profile) / "SingletonSocket"
            if link.is_symlink():
                socket_dir = Path(os.readlink(link)).parent
                if socket_dir.name.startswith("org.chromium.Chromium."):
                    shutil.rmtree(socket_dir, ignore_errors=True)
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def send(self, method: str, **params) -> dict:
        """Send a command and return its result (events received meanwhile are recorded or dropped)."""
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._record_event(msg)

    def _record_event(self, msg: dict) -> None:
        method = msg.get("method")
        if method == "Runtime.consoleAPICalled":
            args = msg["params"].get("args", [])
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            self.console.append(f"console.{msg['params'].get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = msg["params"]["exceptionDetails"]
            self.console.append(f"exception: {details.get('exception', {}).get('description', details)}")

    def evaluate(self, expression: str, await_promise: bool = True):
        """The value of a JavaScript expression in the page (JSON-serializable values)."""
        result = self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=await_promise,
            returnByValue=True,
            userGesture=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise CDPError(f"{expression[:80]!r}: {details.get('exception', {}).get('description', details)}")
        return result["result"].get("value")

    def navigate(self, url: str, ready: str = "document.readyState === 'complete'") -> None:
        self.send("Page.navigate", url=url)
        self.wait_for(ready, what=f"{url} to load")

    def wait_for(self, expression: str, timeout_s: float | None = None, what: str | None = None):
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            try:
                value = self.evaluate(expression)
            except CDPError:
                value = None  # e.g. evaluated while the page navigates
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"timed out waiting for {what or expression}; page console: {self.console[-10:]}"
                )
            time.sleep(0.05)

    def screenshot(self, path: str | Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path
