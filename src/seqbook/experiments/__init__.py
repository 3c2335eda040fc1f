"""Seeded experiments that the chapters run: one module per chapter, each with a fast test."""
