"""Experiments of the book chapters: data, models and training loops the chapters call."""
