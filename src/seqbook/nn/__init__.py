"""Reference implementations in numpy, each checked against PyTorch in ``tests/``.

Conventions follow PyTorch: weights ``(out, in)``, two biases, RNN layout ``(T, B, .)``.
"""
