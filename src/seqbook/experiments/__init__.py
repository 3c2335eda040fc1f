"""Experiments the chapters run: data, small PyTorch models and training loops, seeded."""
