"""Experiments run by the book chapters: data, small models and training loops, seeded and CPU-sized."""
