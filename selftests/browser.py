"""A headless Chromium driven over the Chrome DevTools protocol, for the HTML report's self-test.

Debian's ``chromium`` (``.ci/run`` installs it), started with a fresh profile and no network features,
``--remote-debugging-port=0``; one page, driven through a websocket (``websockets``, installed with
Prefect): navigate, evaluate JavaScript, click at an element's centre and type into the focused element
with real input events, take a screenshot. No Playwright, no browser download.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic", "--no-default-browser-check", "--mute-audio"]


def find_chromium() -> str | None:
    return next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))), None)


class Browser:
    """``with Browser(path) as page:`` one headless page; every call waits for its answer."""

    def __init__(self, executable: str, width: int = 1400, height: int = 1000, timeout: float = 60):
        self.executable, self.size, self.timeout = executable, (width, height), timeout
        self.profile = tempfile.mkdtemp(prefix="restcontract-chromium-")
        self.process: subprocess.Popen | None = None
        self.socket = None
        self.ids = itertools.count(1)

    def __enter__(self) -> Browser:
        self.process = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
             f"--window-size={self.size[0]},{self.size[1]}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TMPDIR": self.profile})  # its org.chromium.Chromium.* folders go with the profile
        port = self._port()
        deadline = time.monotonic() + self.timeout
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
                pages = [t for t in json.load(answer) if t.get("type") == "page"]
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        from websockets.sync.client import connect

        self.socket = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=self.timeout)
        self.send("Page.enable")
        self.send("Runtime.enable")
        return self

    def _port(self) -> int:
        """Chromium writes its port to ``DevToolsActivePort`` in the profile (and says so on stderr)."""
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if marker.exists():
                first = marker.read_text().splitlines()[:1]
                if first and first[0].isdigit():
                    return int(first[0])
            if self.process.poll() is not None:
                stderr = self.process.stderr.read()[-500:]
                raise RuntimeError(f"chromium exited with {self.process.returncode}: {stderr}")
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port")

    def __exit__(self, *exc) -> None:
        try:
            if self.socket is not None:
                self.socket.close()
        finally:
            if self.process is not None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
                self.process.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    # -- the protocol -----------------------------------------------------------------------
    def send(self, method: str, **params) -> dict:
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('text')} "
                               f"{result['exceptionDetails'].get('exception', {}).get('description', '')}")
        return result["result"].get("value")

    # -- what a user does -----------------------------------------------------------------------
    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && document.getElementById('shown') !== null")

    def wait_for(self, condition: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not self.evaluate(f"!!({condition})"):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real mouse click at the centre of the first element ``selector`` matches (scrolled into view)."""
        box = self.evaluate(f"""(() => {{const e = document.querySelector({json.dumps(selector)});
            if (!e) return null; e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];}})()""")
        if box is None:
            raise AssertionError(f"nothing matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Focus an input, select what it holds and type ``text`` over it (real input events)."""
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        if text:
            self.send("Input.insertText", text=text)
        else:
            for kind in ("keyDown", "keyUp"):
                self.send("Input.dispatchKeyEvent", type=kind, key="Backspace", code="Backspace",
                          windowsVirtualKeyCode=8)

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a ``<select>`` with the keyboard: focus it, then arrow keys to the option."""
        where = json.dumps(selector)
        options = f"[...document.querySelector({where}).options]"
        index = self.evaluate(f"{options}.findIndex(o => o.value === {json.dumps(value)})")
        if index is None or index < 0:
            raise AssertionError(f"{selector!r} has no option {value!r}")
        current = self.evaluate(f"(() => {{const s = document.querySelector({where}); "
                                f"s.focus(); return s.selectedIndex;}})()")
        key = ("ArrowDown", 40) if index > current else ("ArrowUp", 38)
        for _ in range(abs(index - current)):
            for kind in ("rawKeyDown", "keyUp"):
                self.send("Input.dispatchKeyEvent", type=kind, key=key[0], code=key[0], windowsVirtualKeyCode=key[1])
        self.wait_for(f"document.querySelector({where}).value === {json.dumps(value)}")

    def visible_text(self, selector: str) -> list[str]:
        """The rendered text of every element ``selector`` matches that is shown (has a layout box)."""
        return self.evaluate(f"[...document.querySelectorAll({json.dumps(selector)})]"
                             ".filter(e => e.offsetParent !== null).map(e => e.innerText)")

    def screenshot(self, path: Path) -> int:
        data = base64.b64decode(self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"])
        path.write_bytes(data)
        return len(data)


def operations_shown(text: str) -> tuple[int, int]:
    """``"3 of 187 operations shown"`` -> (3, 187)."""
    match = re.fullmatch(r"(\d+) of (\d+) operations shown", text.strip())
    if not match:
        raise AssertionError(f"unexpected counter text {text!r}")
    return int(match.group(1)), int(match.group(2))
