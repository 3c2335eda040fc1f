"""The exam pages in headless Chromium with the network off, as a student uses them.

Every page loads; after MathJax no raw TeX, `$` or `**` is left in the text and no maths
failed; on a phone (390 px) and a desktop (1280 px) no page scrolls sideways and no flashcard
is wider than its column; every self-check judges answers (numeric ones against the answer
the page computed itself, which must equal the Python compute function, typed the ways
students type numbers); answers stay hidden until opened; a reload or "New numbers" draws
new numbers. The downloadable mock exams show typeset maths, and the mock-exam notebook
renders its maths in real JupyterLab. Screenshots go to `_build/screenshots/exam/`.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seqbook.exam import bank, compute, mock
from pages import open_page

BANK = bank.load()
PAGES = ["book/exam/index", *[f"book/exam/{t.slug}" for t in BANK.topics],
         "book/exam/mock_exams", "book/exam/flashcards"]
WIDTHS = {"phone": 390, "desktop": 1280}
SHOTS = Path(__file__).resolve().parents[1] / "_build" / "screenshots" / "exam"


def wait_for_maths(page):
    # the card sheet has ~800 formulas: MathJax needs most of a minute on a loaded 2-core machine
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60_000)
    page.evaluate("() => MathJax.startup.promise")


# What a reader sees of an element once MathJax is done: its text without code and typeset maths.
READ_TEXT = """(root) => {
  const copy = root.cloneNode(true);
  copy.querySelectorAll("pre, code, script, style, mjx-container, mjx-assistive-mml").forEach(e => e.remove());
  return copy.textContent;
}"""
RAW = re.compile(r"\\[()\[\]]|\$|\*\*")


def leftovers(page, selector):
    """Raw TeX delimiters, `$` and `**` left in what the reader sees, with their context."""
    text = page.eval_on_selector(selector, READ_TEXT)
    return [" ".join(text[max(0, m.start() - 50):m.end() + 50].split()) for m in RAW.finditer(text)]


@pytest.mark.parametrize("name", PAGES)
def test_exam_page_loads_offline_with_its_maths_typeset(browser, site, name):
    page, problems = open_page(browser, f"{site}/{name}.html")
    wait_for_maths(page)
    if page.locator(".seqbook-exam-question, .seqbook-mock, .seqbook-cards").count():
        assert page.locator("mjx-container").count() > 0
    assert page.locator("mjx-merror").count() == 0, f"{name}: MathJax could not typeset some maths"
    assert leftovers(page, "main") == [], f"{name}: raw syntax in the rendered page"
    for details in page.locator("details.seqbook-exam-answer, details.seqbook-mock-sheet").all():
        assert not details.evaluate("d => d.open"), "an answer is shown before it is asked for"
    page.close()
    assert not problems, f"{name}: {problems}"


# Widths of the flashcards, their grid and column, and how far the page scrolls sideways.
LAYOUT = """() => {
  const article = document.querySelector("main article") || document.querySelector("main");
  const grid = document.querySelector(".seqbook-cards");
  const cards = grid ? Array.from(grid.querySelectorAll(".seqbook-card")) : [];
  const column = grid ? parseFloat(getComputedStyle(grid).gridTemplateColumns.split(" ")[0]) : 0;
  const widest = cards.reduce((w, c) => Math.max(w, c.getBoundingClientRect().width), 0);
  const gridRight = grid ? grid.getBoundingClientRect().right : 0;
  const spills = c => c.scrollWidth > c.clientWidth + 1 && getComputedStyle(c).overflowX === "visible";
  const overflowing = cards.filter(c => c.getBoundingClientRect().right > gridRight + 1 || spills(c));
  return {page: document.documentElement.scrollWidth, viewport: window.innerWidth,
          article: article.getBoundingClientRect().width, grid: grid ? grid.getBoundingClientRect().width : 0,
          column: column, widest: widest, overflowing: overflowing.length,
          widestQuestion: Math.max(0, ...Array.from(document.querySelectorAll(
            ".seqbook-exam-question, .seqbook-mock-exam")).map(q => q.getBoundingClientRect().width))};
}"""


# Formulas (answers opened) that stick out of the text column, cut off or scrolling the page, and
# are not inside a box of the column that scrolls (a table or a formula scrolls on its own).
CUT_MATHS = """() => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const column = (document.querySelector("main article") || document.body).getBoundingClientRect();
  const within = r => r.right <= column.right + 1 && r.left >= column.left - 1;
  const scrolled = m => {
    for (let e = m.parentElement; e && e !== document.body; e = e.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(e).overflowX)) return within(e.getBoundingClientRect());
    }
    return false;
  };
  return Array.from(document.querySelectorAll("mjx-container"))
    .filter(m => !m.parentElement.closest("mjx-container"))
    .filter(m => m.getBoundingClientRect().width && !within(m.getBoundingClientRect()) && !scrolled(m))
    .map(m => Math.round(m.getBoundingClientRect().width) + " px: " + m.textContent.slice(0, 50));
}"""


@pytest.mark.parametrize("device", list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_no_exam_page_scrolls_sideways_or_cuts_maths_off(browser, site, name, device):
    page, problems = open_page(browser, f"{site}/{name}.html", WIDTHS[device])
    wait_for_maths(page)
    layout = page.evaluate(LAYOUT)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name.split('/')[-1]}-{device}.png"))
    cut = page.evaluate(CUT_MATHS)
    page.close()
    assert cut == [], f"{name} at {WIDTHS[device]} px: maths sticks out of the column"
    assert layout["page"] <= layout["viewport"], f"{name} at {WIDTHS[device]} px scrolls sideways: {layout}"
    assert layout["widestQuestion"] <= layout["article"] + 1, layout
    if name.endswith("flashcards"):
        assert layout["grid"] <= layout["article"] + 1, f"the card grid is wider than the column: {layout}"
        assert layout["widest"] <= layout["column"] + 1 and layout["overflowing"] == 0, layout


def test_the_widest_flashcard_scrolls_inside_itself(browser, site):
    page, _ = open_page(browser, f"{site}/book/exam/flashcards.html", WIDTHS["phone"])
    wait_for_maths(page)
    widest = page.evaluate("""() => {
      const maths = Array.from(document.querySelectorAll(".seqbook-card mjx-container"));
      const m = maths.reduce((a, b) => (b.scrollWidth > a.scrollWidth ? b : a));
      m.scrollIntoView();
      return {maths: m.scrollWidth, box: m.clientWidth, card: m.closest(".seqbook-card").clientWidth,
              scrolls: getComputedStyle(m).overflowX};
    }""")
    page.screenshot(path=str(SHOTS / "flashcards-widest-phone.png"))
    page.close()
    assert widest["maths"] > widest["card"], "no maths wider than a card: this test checks nothing"
    assert widest["box"] <= widest["card"] and widest["scrolls"] == "auto", widest


def numeric_checks(page):
    return page.locator("fieldset.seqbook-exam-numeric")


def as_students_type(value: float, precision) -> list[str]:
    """The right answer written in a few ways students write numbers."""
    text = precision.format(value)
    if precision.kind == "exact":
        grouped = f"{int(round(value)):,}"
        return [text, grouped, grouped.replace(",", " "), grouped.replace(",", "\u202f")]
    return [text, text.replace(".", ","), f"{value:.6e}"]


@pytest.mark.parametrize("slug", [t.slug for t in BANK.topics])
def test_every_self_check_judges_answers(browser, site, slug):
    questions = BANK.by_topic(slug)
    page, problems = open_page(browser, f"{site}/book/exam/{slug}.html")
    for q in questions:
        block = page.locator(f'[id="{q.id}"]')
        assert block.count() == 1, f"{q.id} is not on the page"
        assert block.locator(".seqbook-exam-link a").get_attribute("href").endswith(f"{q.docname}.html#{q.anchor}")
        if not q.check:
            continue
        check = block.locator(".seqbook-question")
        verdict, explanation = check.locator(".seqbook-verdict"), check.locator(".seqbook-explanation")
        if q.check["kind"] == "choice":
            button = check.locator("button")
            button.click()
            assert verdict.inner_text() == "Give an answer first."
            right = q.check["correct"]
            check.locator("input[type=radio]").nth(1 if right == 0 else 0).check()
            button.click()
            assert verdict.inner_text() == "Not quite.", q.id
            check.locator("input[type=radio]").nth(right).check()
            button.click()
        else:
            judge_numeric(check, q)
        assert verdict.inner_text() == "Correct.", q.id
        assert explanation.is_visible()
    page.close()
    assert not problems, problems


def judge_numeric(check, q):
    precision = q.check["precision"]
    button, field = check.locator("button.seqbook-exam-judge"), check.locator("input")
    verdict, explanation = check.locator(".seqbook-verdict"), check.locator(".seqbook-explanation")
    values = json.loads(check.get_attribute("data-values"))
    answer = float(check.get_attribute("data-answer"))
    assert answer == pytest.approx(compute.evaluate(q.check["compute"], values), rel=1e-12, abs=1e-12), \
        f"{q.id}: the page computed {answer} for {values}"
    legend = check.locator("legend").inner_text()
    assert not [p for p in q.check["params"] if f"{{{p}}}" in legend], f"{q.id}: unfilled placeholder in {legend!r}"
    assert precision.statement() in legend
    button.click()
    assert verdict.inner_text() == "Give an answer first."
    field.fill("about five")
    button.click()
    assert verdict.inner_text().startswith("Type a number"), q.id
    wrong = precision.format(answer * 1.5 + 1)
    for attempt, expected in enumerate(("Not quite. Try again.", "Not quite.")):
        field.fill(wrong)
        button.click()
        assert verdict.inner_text() == expected, q.id
        assert explanation.is_visible() == (attempt == 1), "the explanation shows after the second try"
    for typed in as_students_type(answer, precision):
        field.fill(typed)
        button.click()
        assert verdict.inner_text() == "Correct.", f"{q.id}: {typed!r} for {answer}"
    assert precision.format(answer) in explanation.inner_text()


def test_ambiguous_and_coarse_answers_are_explained(browser, site):
    page, problems = open_page(browser, f"{site}/book/exam/gradients.html")
    check = numeric_checks(page).first
    field, button = check.locator("input"), check.locator("button.seqbook-exam-judge")
    field.fill("1,248")
    button.click()
    assert check.locator(".seqbook-verdict").inner_text() == \
        "\u201c1,248\u201d could mean 1248 or 1.248: write it without the comma, or with a decimal point."
    answer = float(check.get_attribute("data-answer"))
    field.fill(f"{answer:.1e}")
    button.click()
    verdict = check.locator(".seqbook-verdict").inner_text()
    assert verdict in ("Right to 2 significant figures, but the question asks for 3 significant figures.",
                       "Correct."), verdict
    page.close()
    assert not problems, problems


def test_new_numbers_on_reload_and_on_request(browser, site):
    topics = {q.topic for q in BANK.questions if q.numeric}
    assert topics, "the bank has no numeric self-check"
    for slug in sorted(topics):
        page, problems = open_page(browser, f"{site}/book/exam/{slug}.html")
        first = numeric_checks(page).evaluate_all("qs => qs.map(q => q.dataset.values)")
        assert first
        seen = [first]
        for _ in range(4):
            page.reload(wait_until="networkidle")
            seen.append(numeric_checks(page).evaluate_all("qs => qs.map(q => q.dataset.values)"))
        for i in range(len(first)):
            assert len({draw[i] for draw in seen}) > 1, f"{slug}: check {i} drew the same numbers 5 times"
        check = numeric_checks(page).first
        drawn = set()
        for _ in range(5):
            check.locator("button.seqbook-exam-redraw").click()
            values = check.get_attribute("data-values")
            drawn.add(values)
            assert check.locator(".seqbook-verdict").inner_text() == ""
            legend = check.locator("legend").inner_text()
            assert all(str(v) in legend for v in json.loads(values).values()), (values, legend)
        assert len(drawn) > 1, f"{slug}: 'New numbers' drew the same numbers 5 times"
        page.close()
        assert not problems, problems


@pytest.mark.parametrize("suffix", [".html", "-answers.html"])
def test_downloaded_mock_exams_show_typeset_maths(browser, site, suffix):
    stem = mock.make(mock.book_points(BANK), mock.BOOK_SEEDS[0], BANK).stem
    for device, width in WIDTHS.items():
        page, problems = open_page(browser, f"{site}/book/exam/mock/{stem}{suffix}", width)
        assert page.locator("mjx-container svg").count() > 10
        assert leftovers(page, "body") == []
        assert page.evaluate(CUT_MATHS) == []
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SHOTS / f"mock{suffix.replace('.html', '')}-{device}.png"))
        page.close()
        assert not problems, problems


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server of its own (own config and state), serving a temporary folder."""
    home = tmp_path_factory.mktemp("jupyterlab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    port, token = free_port(), "seqbook-exam-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings")}
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')  # render every cell, not only those in view
    log = (home / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("jupyter-lab")), "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(600):  # JupyterLab and its extensions take half a minute on a loaded machine
            assert server.poll() is None, (home / "jupyterlab.log").read_text()[-3000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield notebooks, f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def test_the_mock_exam_notebook_renders_its_maths_in_jupyterlab(browser, jupyterlab):
    """JupyterLab with jupyterlab-myst (as installed here) renders each question cell with MyST
    and KaTeX: every question reads without raw syntax and without a KaTeX error."""
    notebooks, url, token = jupyterlab
    exam = mock.make(sum(q.points for q in BANK.questions), 5, BANK)  # every question of the bank
    notebook = next(p for p in mock.write(exam, notebooks) if p.suffix == ".ipynb")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/lab/tree/{notebook.name}?token={token}", timeout=240_000)
    page.wait_for_function("n => document.querySelectorAll('.jp-MarkdownCell').length === n",
                           arg=2 * len(exam.items) + 1, timeout=240_000)
    raw, errors, formulas = [], 0, 0
    for n in [0, *range(1, 2 * len(exam.items), 2)]:  # the title, then every question (each before its answer)
        cell = page.locator(".jp-MarkdownCell").nth(n)
        cell.scroll_into_view_if_needed()
        cell.locator(".myst").wait_for(timeout=60_000)
        text = cell.locator(".myst").evaluate("""(root) => {
          const copy = root.cloneNode(true);
          copy.querySelectorAll("pre, code, .katex, .katex-display").forEach(e => e.remove());
          return copy.textContent;
        }""")
        raw += [(n, m.group(), text[max(0, m.start() - 50):m.end() + 50]) for m in RAW.finditer(text)]
        errors += cell.locator(".katex-error").count()
        formulas += cell.locator(".katex").count()
        if n == 5:
            page.screenshot(path=str(SHOTS / "mock-notebook-jupyterlab.png"))
    page.close()
    assert raw == [], raw[:5]
    assert errors == 0, f"{errors} formulas KaTeX could not render"
    assert formulas >= sum(it.text.count("$") for it in exam.items) // 2 // 2
