"""What a reader downloads and waits for: every chapter page over a throttled 10 Mbit/s link.

For each built site given (e.g. the build of `main` and the build of a branch), every
chapter page (the pages in `_toc.yml` outside `book/exam/`) is served from a local HTTP
server (no compression, like `make serve`) and opened in headless Chromium with the cache
off and the network throttled through the DevTools protocol
(`Network.emulateNetworkConditions`: 10 Mbit/s down, 5 Mbit/s up, 20 ms latency). Per page:

- **initial MB**: bytes transferred until the page is loaded and the network idle, without
  scrolling (what every visit costs);
- **read MB**: the same after scrolling to the bottom (lazy-loaded images included) and
  moving every widget control once (what a full read costs);
- **first text s**: the first contentful paint (the first text drawn), from navigation start.

It prints one row per page and the median and maximum per site; with two sites, the ratios
of the second to the first. Timings on a loaded machine are inflated: compare the ratios.

Run from the repository root: .venv/bin/python -m benchmarks.page_weight BEFORE_HTML_DIR [AFTER_HTML_DIR]
(default: _build/html alone)
"""
from __future__ import annotations

import functools
import http.server
import statistics
import sys
import threading
from pathlib import Path

from playwright import sync_api as playwright

from tests.pages import CHAPTERS, CHROMIUM, CHROMIUM_ARGS, ROOT, QuietHandler

MBIT = 1_000_000 / 8  # bytes per second
THROTTLE = {"offline": False, "latency": 20, "downloadThroughput": 10 * MBIT,
            "uploadThroughput": 5 * MBIT}


def serve(directory: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", THROTTLE)
    transferred = {"bytes": 0}
    cdp.on("Network.loadingFinished",
           lambda event: transferred.__setitem__("bytes", transferred["bytes"] + event["encodedDataLength"]))
    page.goto(url, wait_until="networkidle", timeout=300_000)
    initial = transferred["bytes"]
    first_text = page.evaluate(
        "() => (performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime")
    # Read the whole page: scroll through it and move every widget control once.
    page.evaluate("""async () => {
      for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
        scrollTo(0, y); await new Promise(r => setTimeout(r, 50));
      }
      for (const c of document.querySelectorAll('.seqbook-widget [data-control]')) {
        if (c.tagName === 'SELECT') c.selectedIndex = (c.selectedIndex + 1) % c.options.length;
        else c.value = Number(c.value) === Number(c.max) ? Number(c.value) - 1 : Number(c.value) + 1;
        c.dispatchEvent(new Event('input', {bubbles: true}));
      }
    }""")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    context.close()
    return {"initial": initial / 1e6, "read": transferred["bytes"] / 1e6, "first_text": first_text / 1000}


def run(directory: Path, browser) -> dict[str, dict]:
    server = serve(directory)
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        return {name: measure(browser, f"{base}/{name}.html") for name in CHAPTERS}
    finally:
        server.shutdown()


def summary(results: dict[str, dict], key: str) -> tuple[float, float]:
    values = [r[key] for r in results.values()]
    return statistics.median(values), max(values)


def main(argv: list[str]) -> None:
    sites = [Path(a).resolve() for a in argv] or [ROOT / "_build" / "html"]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        results = [run(site, browser) for site in sites]
        browser.close()
    print(f"Chapter pages over {THROTTLE['downloadThroughput'] / MBIT:g} Mbit/s, "
          f"{THROTTLE['latency']} ms latency, cache off, no compression.")
    header = "".join(f" | {'site ' + str(i + 1):>25}" for i in range(len(sites)))
    print(f"{'page':40}{header}")
    print(f"{'':40}" + " | initial MB  read MB  text s" * len(sites))
    for name in results[0]:
        cells = "".join(f" | {r[name]['initial']:10.2f} {r[name]['read']:8.2f} {r[name]['first_text']:7.2f}"
                        for r in results)
        print(f"{name:40}{cells}")
    for label, pick in (("median", 0), ("max", 1)):
        cells = "".join(f" | {summary(r, 'initial')[pick]:10.2f} {summary(r, 'read')[pick]:8.2f} "
                        f"{summary(r, 'first_text')[pick]:7.2f}" for r in results)
        print(f"{label:40}{cells}")
    for i, site in enumerate(sites):
        print(f"site {i + 1}: {site}")
    if len(results) == 2:
        for key, what in (("initial", "initial MB"), ("read", "read MB"), ("first_text", "first text")):
            before, after = summary(results[0], key)[0], summary(results[1], key)[0]
            print(f"median {what}: site 2 / site 1 = {after / before:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
