"""Train the two copy-task models of the seq2seq and attention chapters and save their weights.

    .venv/bin/python scripts/train_seq2seq.py            # the book's models (minutes)
    .venv/bin/python scripts/train_seq2seq.py --steps 5 --out /tmp/tiny.pt   # smoke test

Trains a GRU encoder-decoder without attention and the same model with Bahdanau attention
(``seqbook.experiments.seq2seq``), seeded, on one CPU thread, and writes both state_dicts
(float16), the config and the training losses to ``book/seq2seq/data/copy_models.pt``, which
the chapters load.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from seqbook.experiments import seq2seq

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "book" / "seq2seq" / "data" / "copy_models.pt"


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=seq2seq.Seq2SeqConfig.steps)
    parser.add_argument("--max-len", type=int, default=seq2seq.Seq2SeqConfig.max_len)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--log-every", type=int, default=250)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cfg = seq2seq.Seq2SeqConfig(steps=args.steps, max_len=args.max_len)
    models, losses = {}, {}
    for name, attention in (("plain", False), ("attention", True)):
        models[name], losses[name] = seq2seq.train(cfg, attention, log_every=args.log_every)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    seq2seq.save_models(args.out, cfg, models, losses)
    print(f"saved {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return args.out


if __name__ == "__main__":
    main()
