"""The exam pages in headless Chromium with the network off: every page loads, every
self-check judges answers (numeric ones against the answer the page computed itself, which
must equal the Python compute function), answers stay hidden until opened, and a reload
draws new numbers."""
import json

import pytest

from seqbook.exam import bank, compute
from pages import open_page


BANK = bank.load()
PAGES = ["book/exam/index", *[f"book/exam/{t.slug}" for t in BANK.topics],
         "book/exam/mock_exams", "book/exam/flashcards"]


@pytest.mark.parametrize("name", PAGES)
def test_exam_page_loads_offline(browser, site, name):
    page, problems = open_page(browser, f"{site}/{name}.html")
    if page.locator(".seqbook-exam-question, .seqbook-mock, .seqbook-cards").count():
        page.wait_for_selector("mjx-container", state="attached", timeout=15_000)
    for details in page.locator("details.seqbook-exam-answer, details.seqbook-mock-sheet").all():
        assert not details.evaluate("d => d.open"), "an answer is shown before it is asked for"
    page.close()
    assert not problems, f"{name}: {problems}"


def numeric_checks(page):
    return page.locator('.seqbook-question[data-values]')


@pytest.mark.parametrize("slug", [t.slug for t in BANK.topics])
def test_every_self_check_judges_answers(browser, site, slug):
    questions = BANK.by_topic(slug)
    page, problems = open_page(browser, f"{site}/book/exam/{slug}.html")
    for q in questions:
        block = page.locator(f'[id="{q.id}"]')
        assert block.count() == 1, f"{q.id} is not on the page"
        assert block.locator("a[href*='#']").first.get_attribute("href").endswith(f"{q.docname}.html#{q.anchor}")
        if not q.check:
            continue
        check = block.locator(".seqbook-question")
        button, verdict = check.locator("button"), check.locator(".seqbook-verdict")
        button.click()
        assert verdict.inner_text() == "Give an answer first."
        if q.check["kind"] == "choice":
            right = q.check["correct"]
            check.locator("input[type=radio]").nth(1 if right == 0 else 0).check()
            button.click()
            assert verdict.inner_text() == "Not quite.", q.id
            check.locator("input[type=radio]").nth(right).check()
        else:
            values = json.loads(check.get_attribute("data-values"))
            answer = float(check.get_attribute("data-answer"))
            assert answer == pytest.approx(compute.evaluate(q.check["compute"], values), rel=1e-12, abs=1e-12), \
                f"{q.id}: the page computed {answer} for {values}"
            legend = check.locator("legend").inner_text()
            assert "{" not in legend.replace("{t-1}", ""), f"{q.id}: unfilled placeholder in {legend!r}"
            check.locator("input").fill(repr(answer + 10 * q.check["tolerance"] + 1))
            button.click()
            assert verdict.inner_text() == "Not quite.", q.id
            check.locator("input").fill(repr(answer))
        button.click()
        assert verdict.inner_text() == "Correct.", q.id
        assert check.locator(".seqbook-explanation").is_visible()
    page.close()
    assert not problems, problems


def test_a_reload_draws_new_numbers(browser, site):
    topics = {q.topic for q in BANK.questions if q.check and q.check["kind"] == "numeric"}
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
        page.close()
        assert not problems, problems
