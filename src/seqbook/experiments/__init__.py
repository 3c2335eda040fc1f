"""Experiment code of the book's chapters: data, small models and training loops, one module per chapter."""
