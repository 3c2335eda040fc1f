"""Experiments of the book's chapters: seeded data, small models and training loops."""
