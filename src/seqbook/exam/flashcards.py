"""Flashcards of the question bank: a printable HTML card sheet and an Anki deck.

The card sheet puts each question (front) beside its model answer (back); printed double
sided and cut, or read on a phone (one column, front above back), it is a deck of revision
cards. A card never grows wider than its column: long maths scrolls inside the card. The
sheet written to a file has its maths typeset (it works offline and prints). The Anki deck
(`genanki`) has one note per question, with the question id as the stable note GUID so a
re-imported deck updates the cards instead of duplicating them; its maths is Anki's MathJax
(`\\(...\\)`, `\\[...\\]`). Everything generated is proofread.
"""
from __future__ import annotations

import html
from pathlib import Path

from seqbook.exam import proofread, typeset
from seqbook.exam.bank import Bank, load
from seqbook.exam.markdown import to_html
from seqbook.exam.render import points_text, scroll_wide_css

# minmax(0, 1fr): a column never grows to fit its widest card (a grid item's minimum width
# is its content's by default); maths wider than the card scrolls inside it.
CSS = """
.seqbook-cards { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0; }
.seqbook-card { border: 1px dashed #999; padding: 0.8em 1em; min-height: 9em; min-width: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) {
  .seqbook-cards { grid-template-columns: minmax(0, 1fr); }
  .seqbook-card-back { margin-bottom: 0.8em; }
}
.seqbook-card-front { background: #f6f8fa; }
.seqbook-card-meta { font-size: 0.8em; color: #555; margin: 0 0 0.4em 0; }
@media print {
  .seqbook-card { break-inside: avoid; page-break-inside: avoid; }
  .seqbook-card-front { background: none; }
}
"""

ANKI_MODEL_ID = 1607392319  # fixed: Anki recognises the note type on re-import
ANKI_DECK_ID = 2059400110


# The printed book has every card already: the questions and model answers of the topic chapters.
PRINTED = ("The cards are the questions and model answers of the topic chapters of this part, "
           "printed above; the website offers them as a printable card sheet and an Anki deck.")


def cards_html(bank: Bank | None = None) -> str:
    """The card sheet as an HTML fragment with its CSS: front (question) | back (answer)."""
    bank = bank or load()
    rows = []
    for t in bank.topics:
        for q in bank.by_topic(t.slug):
            meta = (f'<p class="seqbook-card-meta">{html.escape(q.id)} · {html.escape(t.title)} · '
                    f'{points_text(q.points)}</p>')
            rows.append(f'<div class="seqbook-card seqbook-card-front">{meta}{to_html(q.asked())}</div>'
                        f'<div class="seqbook-card seqbook-card-back">{meta}{to_html(q.answer)}</div>')
    page = (f'<style>{CSS}{scroll_wide_css(".seqbook-card")}</style>'
            f'<div class="seqbook-cards mathjax_process">{"".join(rows)}</div>')
    return proofread.check(page, "the flashcards")


def write_html(out: Path | str = ".", bank: Bank | None = None) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "seqbook-flashcards.html"
    page = typeset.typeset(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>seqbook flashcards</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<style>body { font-family: system-ui, sans-serif; margin: 1em; line-height: 1.45; }</style>'
        '</head><body><h1>seqbook flashcards</h1><p>Question on the left, answer on the right '
        '(on a phone: question above answer). Print, fold along the middle, cut.</p>'
        f'{cards_html(bank)}</body></html>\n', path.name)
    path.write_text(proofread.check(page, path.name, typeset=True), encoding="utf-8")
    return path


def write_anki(out: Path | str = ".", bank: Bank | None = None) -> Path:
    """The bank as an Anki deck (.apkg)."""
    import genanki

    bank = bank or load()
    model = genanki.Model(
        ANKI_MODEL_ID, "seqbook exam question",
        fields=[{"name": "Id"}, {"name": "Topic"}, {"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card 1",
                    "qfmt": '<div class="meta">{{Id}} · {{Topic}}</div>{{Question}}',
                    "afmt": '{{FrontSide}}<hr id="answer">{{Answer}}'}],
        css=".card { font-family: sans-serif; font-size: 18px; text-align: left; } .meta { color: #666; font-size: 13px; }")
    deck = genanki.Deck(ANKI_DECK_ID, "seqbook: sequence models exam")
    titles = {t.slug: t.title for t in bank.topics}
    for q in bank.questions:
        front, back = (proofread.check(to_html(text), f"Anki note {q.id}") for text in (q.asked(), q.answer))
        deck.add_note(genanki.Note(
            model=model, guid=genanki.guid_for("seqbook", q.id),
            fields=[q.id, titles[q.topic], front, back], tags=[f"seqbook::{q.topic}"]))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "seqbook-flashcards.apkg"
    genanki.Package(deck).write_to_file(str(path))
    return path


def write(out: Path | str = ".", bank: Bank | None = None) -> list[Path]:
    """Write the card sheet and the Anki deck."""
    bank = bank or load()
    return [write_html(out, bank), write_anki(out, bank)]
