"""The website as readers use it, in headless Chromium with the network off: navigation on
phones, tablets and desktops, zero critical or serious axe-core violations in light and dark
mode, widget figures drawn for the screen they are on, folded code, maths-free search
snippets. Screenshots (phone 390 px and desktop 1280 px, light and dark) are saved under
`_build/screenshots/` for people to look at.

axe-core comes from npm (package.json, `make setup`) and is injected by the test only: the
site never loads it."""
import functools
import http.server
import threading
from pathlib import Path

import pytest
from playwright import sync_api as playwright

from pages import QuietHandler, toc_files
from test_site_build import small_books  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "_build" / "screenshots"
CHAPTER = "book/rnn/rnn_bptt"
PAGES = toc_files(ROOT)


def screenshot(target, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / name))


def open_page(browser, url, width=1280, mode="light"):
    """`url` at a viewport `width` px wide in the theme's light or dark mode; the page and
    the problems seen loading it (requests leaving the machine, errors)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=mode)
    # pydata-sphinx-theme keeps the reader's choice of mode in localStorage.
    context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
    page = context.new_page()
    problems = []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1")
               else (problems.append(f"outside request: {route.request.url}"), route.abort()))
    page.on("pageerror", lambda error: problems.append(f"exception: {error}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("response", lambda response: response.status >= 400
            and problems.append(f"HTTP {response.status}: {response.url}"))
    page.goto(url, wait_until="networkidle", timeout=120_000)  # the machine may be loaded
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    return page, problems


def chapter_list(page):
    """The sidebar's list of chapters, wherever the theme has put it (sidebar or dialog)."""
    return page.locator("nav.bd-docs-nav").first


@pytest.mark.parametrize("width", [390, 900, 1280])
def test_sidebar_toggle_shows_and_hides_the_chapter_list(browser, site, width):
    page, problems = open_page(browser, f"{site}/{CHAPTER}.html", width)
    toggles = page.locator(".primary-toggle")
    visible = [i for i in range(toggles.count()) if toggles.nth(i).is_visible()]
    assert len(visible) == 1, f"{len(visible)} visible sidebar toggles at {width} px"
    toggle = toggles.nth(visible[0])
    shown = width >= 992  # the theme shows the sidebar beside the text on wide screens
    assert chapter_list(page).is_visible() == shown
    toggle.click()
    page.wait_for_timeout(600)  # the sidebar slides
    assert chapter_list(page).is_visible() != shown, f"the toggle did nothing at {width} px"
    if shown:
        toggle.click()
    else:
        assert page.locator("#pst-primary-sidebar-modal[open]").count() == 1
        page.keyboard.press("Escape")
    page.wait_for_timeout(600)
    assert chapter_list(page).is_visible() == shown, f"the toggle does not undo itself at {width} px"
    screenshot(page, f"site-nav-{width}.png")
    page.context.close()
    assert not problems, problems


def reveal_everything(page):
    """Open folded code and answers, show hints and explanations: axe checks only what shows."""
    page.evaluate("""() => {
      document.querySelectorAll('details').forEach(d => d.open = true);
      document.querySelectorAll('.seqbook-hint, .seqbook-explanation').forEach(e => e.hidden = false);
    }""")
    if page.locator(".math, .mathjax_process").count():
        page.wait_for_selector("mjx-container", state="attached", timeout=30_000)
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise")


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
      .filter(v => v.impact === 'critical' || v.impact === 'serious')
      .map(v => v.impact + ' ' + v.id + ' (' + v.nodes.length + '): ' +
           v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n')[1]).join(' | '))""")
    return found


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(browser, site, name, mode):
    page, problems = open_page(browser, f"{site}/{name}.html", mode=mode)
    reveal_everything(page)
    violations = axe_violations(page)
    if name in ("book/intro", CHAPTER):
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"site-{name.replace('/', '__')}-{mode}-{width}.png")
    page.context.close()
    assert not violations, f"{name} ({mode}): " + "\n".join(violations)
    assert not problems, problems


def test_widget_frames_fit_the_screen_and_enlarge(browser, site):
    for width, rendition in ((390, "narrow"), (1280, "wide")):
        page, problems = open_page(browser, f"{site}/{CHAPTER}.html", width)
        widget = page.locator(".seqbook-widget").first
        widget.scroll_into_view_if_needed()
        frame = widget.locator("img.seqbook-frame")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=frame.element_handle())
        frames = widget.evaluate("w => JSON.parse(w.querySelector('.seqbook-frames').textContent)")
        shown = frame.evaluate("img => img.currentSrc")
        assert any(shown.endswith(f[rendition].lstrip("./")) for f in frames.values()), (width, shown)
        box = frame.bounding_box()
        assert box["width"] <= width, f"the figure is wider than the screen at {width} px"
        if width == 390:
            assert box["width"] >= 300, "the phone figure fills the column"
        screenshot(widget, f"site-widget-{width}.png")
        frame.click()  # tap to enlarge
        zoom = widget.locator("dialog.seqbook-zoom")
        assert zoom.evaluate("d => d.open")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=zoom.locator("img").element_handle())
        assert zoom.locator("img").bounding_box()["width"] > box["width"], "enlarged is larger"
        screenshot(page, f"site-widget-enlarged-{width}.png")
        page.keyboard.press("Escape")
        assert not zoom.evaluate("d => d.open")
        widget.locator(".seqbook-enlarge").focus()
        page.keyboard.press("Enter")  # the keyboard's way in
        assert zoom.evaluate("d => d.open")
        page.context.close()
        assert not problems, problems


def test_folded_code_is_a_keyboard_toggle_in_both_modes(browser, small_books):
    handler = functools.partial(QuietHandler, directory=str(small_books["plain"]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for mode in ("light", "dark"):
            page, problems = open_page(browser, f"http://127.0.0.1:{server.server_port}/book/part/chapter.html",
                                       mode=mode)
            fold = page.locator("details.hide.above-input")
            summary = fold.locator("summary")
            assert summary.is_visible() and not fold.locator(".cell_input").is_visible()
            summary.focus()
            screenshot(fold, f"site-folded-code-{mode}.png")
            page.keyboard.press("Enter")
            assert fold.locator(".cell_input").is_visible(), "Enter opens the folded code"
            screenshot(fold, f"site-folded-code-{mode}-open.png")
            assert summary.inner_text().strip() == "Hide code cell source"
            page.emulate_media(media="print")
            assert not fold.is_visible(), "folded code and its toggle are left off paper"
            page.emulate_media(media="screen")
            violations = axe_violations(page)
            summary.focus()
            page.keyboard.press("Enter")
            assert not fold.locator(".cell_input").is_visible(), "Enter folds it again"
            page.context.close()
            assert not violations, f"{mode}: " + "\n".join(violations)
            assert not problems, problems
    finally:
        server.shutdown()


def test_search_snippets_show_maths_as_text(browser, site):
    page, problems = open_page(browser, f"{site}/search.html?q=spectral+radius")
    page.wait_for_selector("#search-results li p.context", timeout=60_000)
    page.wait_for_timeout(1000)  # snippets arrive one page at a time
    snippets = page.locator("#search-results p.context").all_inner_texts()
    assert snippets
    tex = [s for s in snippets if "\\(" in s or "\\[" in s or "\\frac" in s or "_{" in s]
    page.context.close()
    assert not tex, tex
    assert not problems, problems
