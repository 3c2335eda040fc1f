"""Secure grading: student code runs in a sandbox, trusted specs judge it from outside."""
