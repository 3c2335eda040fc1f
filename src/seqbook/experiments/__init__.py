"""Experiments of the chapters: data, small PyTorch models and training loops they run."""
