"""Every page of the built site works in headless Chromium with the network off.

A page fails on a console error, an uncaught exception, a failed or non-local request, an
image that did not load (once scrolled to: images load lazily), or math MathJax did not
typeset. Every widget control must change the figure, its alt text and (a slider) the value
it announces when moved, and every quiz must judge an answer, hinting after a first wrong
one and explaining after a right one or a second wrong one. Screenshots of every page are
saved under `_build/screenshots/` for people to look at.
"""
import pytest

from pages import CHAPTERS, open_page


def test_every_page_loads_offline_without_errors(browser, site, built_book):
    shots = built_book.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    pages = sorted(p.relative_to(built_book).as_posix() for p in built_book.rglob("*.html")
                   if "_static" not in p.parts)
    assert "book/rnn/rnn_bptt.html" in pages
    for name in pages:
        page, problems = open_page(browser, f"{site}/{name}")
        scroll_through(page)
        broken = page.eval_on_selector_all(  # an enlarged figure's image loads when it is opened
            "img:not(dialog:not([open]) img)",
            "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))")
        problems += [f"broken image: {src}" for src in broken]
        if page.locator("div.math, span.math").count():
            # attached, not visible: a heading's math also sits in the hidden page contents
            page.wait_for_selector("mjx-container", state="attached", timeout=15_000)
        # Chromium's full-page screenshot starts loading phone renditions (seen at 1280 px), which the
        # close may cut off on a loaded machine: the page's problems are those seen before it.
        seen = list(problems)
        page.screenshot(path=str(shots / (name.replace("/", "__") + ".png")), full_page=True)
        page.close()
        assert not seen, f"{name}: {seen}"


def scroll_through(page):
    """Scroll to the bottom and back, so that every lazily loaded image loads."""
    page.evaluate("""async () => {
      for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
        scrollTo(0, y); await new Promise(r => setTimeout(r, 30));
      }
      scrollTo(0, 0);
    }""")
    page.wait_for_load_state("networkidle")


def frame_loaded(page, frame):
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=frame.element_handle())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_widget_control_changes_the_figure(browser, site, chapter):
    page, problems = open_page(browser, f"{site}/{chapter}.html")
    widgets = page.locator(".seqbook-widget")
    assert widgets.count() >= 1, f"{chapter} has no widget"
    slug = chapter.replace("/", "__")
    for w in range(widgets.count()):
        widget = widgets.nth(w)
        frame = widget.locator("img.seqbook-frame")
        widget.scroll_into_view_if_needed()
        for c in range(widget.locator("[data-control]").count()):
            control = widget.locator("[data-control]").nth(c)
            before, alt_before = frame.get_attribute("src"), frame.get_attribute("alt")
            announced = control.get_attribute("aria-valuetext")
            if control.evaluate("e => e.tagName") == "SELECT":
                # by index: selecting by the string "1" can pick the option labelled "1"
                values = control.evaluate("e => Array.from(e.options).map(o => o.value)")
                control.select_option(index=next(i for i, v in enumerate(values) if v != control.input_value()))
            else:
                control.focus()
                page.keyboard.press("ArrowRight" if control.input_value() != control.get_attribute("max")
                                    else "ArrowLeft")
            assert frame.get_attribute("src") != before, f"widget {w} control {c} did not change the figure"
            frame_loaded(page, frame)
            assert frame.get_attribute("alt") != alt_before, f"widget {w}: every frame says what it shows"
            if announced is not None:
                label = control.evaluate("e => e.nextElementSibling.textContent")
                assert control.get_attribute("aria-valuetext") == label != announced, "sliders announce values"
        widget.screenshot(path=str(site_shot_dir(page) / f"widget-{slug}-{w}.png"))
    assert not problems, problems


def site_shot_dir(page):
    from pathlib import Path
    return Path(__file__).resolve().parents[1] / "_build" / "screenshots"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_quiz_question_judges_answers(browser, site, chapter):
    page, problems = open_page(browser, f"{site}/{chapter}.html")
    questions = page.locator(".seqbook-question")
    assert questions.count() >= 3, f"{chapter} has no self-check quiz of 3 questions or more"
    for i in range(questions.count()):
        q = questions.nth(i)
        key = q.evaluate("q => JSON.parse(q.dataset.key)")
        q.locator("button").click()
        assert q.locator(".seqbook-verdict").inner_text() == "Give an answer first."
        hint, explanation = q.locator(".seqbook-hint"), q.locator(".seqbook-explanation")
        if key["kind"] == "choice":
            wrong = 1 if key["correct"] == 0 else 0
            q.locator("input[type=radio]").nth(wrong).check()
            right = lambda: q.locator("input[type=radio]").nth(key["correct"]).check()  # noqa: E731
        else:
            q.locator("input").fill(str(key["answer"] + 10 * key["tolerance"] + 1))
            right = lambda: q.locator("input").fill(str(key["answer"]))  # noqa: E731
        q.locator("button").click()
        assert q.locator(".seqbook-verdict").inner_text() == "Not quite."
        assert hint.is_visible() and not explanation.is_visible(), "a first wrong answer gets a hint"
        if i % 2:  # every other question: a second wrong answer explains
            q.locator("button").click()
            assert explanation.is_visible() and not hint.is_visible()
        right()
        q.locator("button").click()
        assert q.locator(".seqbook-verdict").inner_text() == "Correct."
        assert explanation.is_visible() and not hint.is_visible()
    score = page.locator(".seqbook-score").first.inner_text()
    assert score.startswith(f"{questions.count()} of {questions.count()}")
    page.locator(".seqbook-quiz").first.screenshot(
        path=str(site_shot_dir(page) / f"quiz-{chapter.replace('/', '__')}.png"))
    assert not problems, problems
