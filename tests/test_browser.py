"""The report in a real browser: headless Chromium over the DevTools protocol.

Chromium is driven through --remote-debugging-pipe with the standard library
only. The page must render, hold its charts, log no console error and make
no network request. Run as a script to screenshot a report:

    python tests/test_browser.py REPORT.html OUT.png [WIDTH [MAX_HEIGHT]]
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium process spoken to over a pair of pipes (fds 3 and 4)."""

    def __init__(self, executable: str, width: int = 1100, height: int = 900, timeout_s: float = 60):
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="hloscope-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():
            # Move the pipe ends out of the way first: they may already be 3 or 4.
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--proxy-server=127.0.0.1:9", f"--window-size={width},{height}",
                f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]
        # close_fds=False: subprocess would otherwise close fds 3 and 4 after
        # wire_fds ran; Python's own descriptors are close-on-exec anyway.
        self.process = subprocess.Popen(args, preexec_fn=wire_fds, close_fds=False,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str) -> dict:
        for seen in self.events:
            if seen.get("method") == event:
                return seen
        deadline = time.monotonic() + self.timeout_s
        while True:
            message = self._read_message(deadline)
            self.events.append(message)
            if message.get("method") == event:
                return message

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self.send(f"{domain}.enable")
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        # Let late console messages and requests arrive.
        self.evaluate("new Promise(r => setTimeout(r, 300))")

    def evaluate(self, expression: str):
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        return reply.get("result", {}).get("value")

    def set_viewport(self, width: int, height: int) -> None:
        """Lay the open page out in a window of ``width`` x ``height`` CSS pixels."""
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def box(self, selector: str) -> dict:
        """The bounding box (top, bottom, left, right) of the first element ``selector`` matches."""
        return self.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                             ".getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, "
                             "right: r.right}; })()")

    def problems(self, page_url: str) -> tuple[list[str], list[str]]:
        """(console errors and exceptions, network requests other than the page itself)."""
        errors, requests = [], []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
                errors.append(json.dumps(params.get("args", []))[:300])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                errors.append(params["entry"].get("text", "")[:300])
            elif method == "Network.requestWillBeSent":
                url = params.get("request", {}).get("url", "")
                if url != page_url and not url.startswith("data:"):
                    requests.append(url)
        return errors, requests

    def screenshot(self, out: Path, width: int, max_height: int = 0) -> None:
        height = int(self.evaluate("document.documentElement.scrollHeight") or 900)
        if max_height:
            height = min(height, max_height)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})["data"]
        out.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    assert executable is not None, (
        "headless Chromium not found: `make test` installs Debian's chromium; elsewhere install it by hand"
    )
    b = Browser(executable)
    yield b
    b.close()


def _report_file(tmp_path: Path, record: dict) -> Path:
    from hloscope.report import render_html
    from hloscope.results.analysis import analyze_run
    from hloscope.results import results_from_json

    page = tmp_path / "index.html"
    page.write_text(render_html(analyze_run(results_from_json(record))), encoding="utf-8")
    return page


def _load(browser: Browser, page: Path) -> tuple[list[str], list[str]]:
    url = page.resolve().as_uri()
    browser.open(url)
    return browser.problems(url)


def test_report_renders_offline_with_charts(browser, tmp_path):
    from test_report import synthetic_results

    page = _report_file(tmp_path, synthetic_results())
    errors, requests = _load(browser, page)
    assert errors == [] and requests == []
    assert browser.evaluate("document.title").startswith("hloscope report")
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 8
    assert browser.evaluate("document.querySelectorAll('svg circle').length") >= 16
    # Charts are laid out: the first one has a real box on screen.
    assert browser.evaluate("document.querySelector('svg').getBoundingClientRect().width") > 200
    assert "3.1x faster" in browser.evaluate("document.querySelector('.headline').textContent")
    assert browser.evaluate("document.querySelectorAll('script').length") == 0


def test_first_screen_holds_the_headline_the_sizes_and_a_chart(browser, tmp_path):
    """At 1300 x 900, the default run's shape (two models) shows its headline, sizes and a chart unscrolled."""
    from test_report import two_model_results

    page = _report_file(tmp_path, two_model_results())
    errors, requests = _load(browser, page)
    assert errors == [] and requests == []
    browser.set_viewport(1300, 900)
    rows = browser.evaluate("[...document.querySelectorAll('tr.headline')].map(r => "
                            "[r.getBoundingClientRect().bottom, r.textContent])")
    assert len(rows) == 2 and all(bottom <= 900 for bottom, _ in rows)
    assert "3.4x faster" in rows[0][1] and "3.1x faster" in rows[0][1]
    assert "features 16, x float32[1,16]" in rows[0][1]
    assert "d_model 256, heads 4, sequence 64, batch 1" in rows[1][1]
    setup = browser.box("p.setup")
    assert setup["bottom"] <= 900 and "2 cores" in browser.evaluate("document.querySelector('p.setup').textContent")
    chart = browser.box("section.verdicts svg")
    assert chart["top"] >= 0 and chart["bottom"] <= 900 and chart["right"] <= 1300
    assert browser.evaluate("document.documentElement.scrollWidth") <= 1300


def test_hostile_names_stay_text(browser, tmp_path):
    from test_report import synthetic_results

    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    record = synthetic_results(model=hostile)
    record["points"][0]["hlo"]["pre"]["op_counts"][hostile] = 99
    page = _report_file(tmp_path, record)
    errors, requests = _load(browser, page)
    assert errors == [] and requests == []
    assert browser.evaluate("document.querySelectorAll('script, img').length") == 0
    assert hostile in browser.evaluate("document.body.textContent")


def test_compare_report_renders_offline(browser, tmp_path):
    from test_report import synthetic_results

    from hloscope.report.compare_html import render_compare_html
    from hloscope.results import results_from_json
    from hloscope.results.analysis import analyze_run
    from hloscope.results.compare import compare_results

    comparison = compare_results(analyze_run(results_from_json(synthetic_results())),
                                 analyze_run(results_from_json(synthetic_results(regressed=True))))
    page = tmp_path / "compare.html"
    page.write_text(render_compare_html(comparison), encoding="utf-8")
    errors, requests = _load(browser, page)
    assert errors == [] and requests == []
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 2
    assert "regression" in browser.evaluate("document.querySelector('.headline').textContent")


def test_compare_of_a_run_with_itself_says_so_and_fits_the_page(browser, tmp_path):
    from test_report import two_model_results

    from hloscope.report.compare_html import render_compare_html
    from hloscope.results import results_from_json
    from hloscope.results.analysis import analyze_run
    from hloscope.results.compare import compare_results

    analysis = analyze_run(results_from_json(two_model_results()))
    page = tmp_path / "compare.html"
    page.write_text(render_compare_html(compare_results(analysis, analysis)), encoding="utf-8")
    errors, requests = _load(browser, page)
    assert errors == [] and requests == []
    browser.set_viewport(1300, 900)
    assert "Both sides are the same run" in browser.evaluate("document.querySelector('.headline').textContent")
    assert browser.evaluate("document.documentElement.scrollWidth") <= 1300
    widths = browser.evaluate("[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)")
    assert widths and max(widths) <= 1300


def test_the_checks_catch_a_page_that_reaches_out(browser, tmp_path):
    # The detector itself: a page that fetches and logs must be caught.
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><title>bad</title><img src="http://example.invalid/x.png">'
                    '<script>console.error("boom")</script>')
    errors, requests = _load(browser, page)
    assert any("boom" in e for e in errors)
    assert any("example.invalid" in r for r in requests)


def _screenshot_main(argv: list[str]) -> int:
    if len(argv) not in (2, 3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    executable = find_chromium()
    if executable is None:
        print("chromium not found", file=sys.stderr)
        return 2
    width = int(argv[2]) if len(argv) >= 3 else 1100
    max_height = int(argv[3]) if len(argv) == 4 else 0
    b = Browser(executable, width=width)
    try:
        page = Path(argv[0])
        errors, requests = _load(b, page)
        b.screenshot(Path(argv[1]), width, max_height)
    finally:
        b.close()
    print(f"console errors: {len(errors)}, network requests: {len(requests)}")
    return 0 if not errors and not requests else 1


if __name__ == "__main__":
    sys.exit(_screenshot_main(sys.argv[1:]))
