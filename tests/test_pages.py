"""`pages.open_page` counts every load that really failed, and not a request the page cut
off itself by reloading (the flaky "failed" MathJax font of the exam reload test)."""
import functools
import http.server
import threading
import time

import pytest

from pages import open_page

PAGE = b"<!doctype html><title>t</title><p>a page</p>"
START_SLOW_LOAD = "() => { const image = new Image(); image.src = '/slow.png?' + Math.random(); document.body.append(image); }"


class SlowHandler(http.server.SimpleHTTPRequestHandler):
    """index.html at once; /slow.png only after 3 s."""

    def do_GET(self):
        if self.path.startswith("/slow.png"):
            time.sleep(3)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser gave up on it

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def slow_site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_request_cut_off_by_a_reload_is_no_problem(browser, slow_site):
    page, problems = open_page(browser, f"{slow_site}/index.html")
    page.evaluate(START_SLOW_LOAD)
    page.reload(wait_until="load")
    page.close()
    assert not problems, problems


def test_a_request_the_page_aborts_without_navigating_is_a_problem(browser, slow_site):
    page, problems = open_page(browser, f"{slow_site}/index.html")
    page.evaluate("() => fetch('/slow.png', {signal: AbortSignal.timeout(200)}).catch(() => null)")
    page.wait_for_timeout(1000)
    page.close()
    assert any("failed:" in p and "ERR_ABORTED" in p for p in problems), problems


def test_a_request_that_fails_is_a_problem_also_after_a_reload(browser, slow_site):
    page, problems = open_page(browser, f"{slow_site}/index.html")
    page.evaluate("() => { const image = new Image(); image.src = 'http://127.0.0.1:9/x.png'; document.body.append(image); }")
    page.wait_for_load_state("networkidle")
    page.reload(wait_until="load")
    page.close()
    assert any(p.startswith("failed: http://127.0.0.1:9/x.png") for p in problems), problems

