"""The course secret: mixed into every grading seed, so the grading inputs cannot be precomputed.

The specs (and so the way inputs are drawn) may be public; the secret is not. It is created
on first use in the course directory (`.seqbook-secret`, mode 0600, never in a repository)
and kept, so a regrade draws the same inputs. Graders on several machines share it with
`--secret-file`. Students never need it: `seqbook check` draws practice inputs instead,
which are never the grading inputs.
"""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

SECRET_NAME = ".seqbook-secret"


class SecretError(RuntimeError):
    """The secret file cannot be used (readable by others, empty)."""


def course_secret(path: Path) -> bytes:
    """The secret stored at `path`, created there (mode 0600) if there is none yet."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(f"{path} can be read by other users; keep it private: chmod 600 {path}")
    secret = path.read_bytes().strip()
    if len(secret) < 16:
        raise SecretError(f"{path} holds no secret (at least 16 characters); delete it to make a new one")
    return secret
