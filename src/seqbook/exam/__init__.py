"""Exam preparation: the question bank, its pages and self-checks, mock exams, flashcards.

`bank` loads and validates `book/exam/questions.yml`; `compute` holds the numeric answers
(Python and JavaScript twins); `render` makes the book's topic pages; `mock` draws mock
exams; `flashcards` exports the bank as a printable card sheet and an Anki deck.
"""
