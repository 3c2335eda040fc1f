"""seqbook.grading.imports: reading a submission's imports is safe from the grader's threads."""
import ast
import gc
import sys
import threading

from seqbook.grading.imports import import_flags

SOURCE = "\n".join(f"import numpy as np\ndef f{i}(x):\n    return [y for y in range(x) if (y + {i}) % 3]"
                   for i in range(300))


def test_two_threads_read_imports_at_once():
    """Thread A is paused by the garbage collector in the middle of building its AST (where
    CPython may switch threads) until thread B, deeper in its stack, has read its cell: both
    read their imports, and neither fails with CPython 3.11's "AST constructor recursion depth
    mismatch"."""
    a_paused, b_done, errors = threading.Event(), threading.Event(), []

    def pause_a_inside_parse(phase, info):
        inside = sys._getframe(1).f_code is ast.parse.__code__
        if phase == "start" and inside and threading.current_thread().name == "A" and not a_paused.is_set():
            a_paused.set()
            b_done.wait(2)  # with one parse at a time, B waits for A instead

    def read(depth=0):
        if depth:
            return read(depth - 1)
        try:
            assert import_flags([SOURCE]) == []
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(f"{threading.current_thread().name}: {exc!r}")

    def b():
        a_paused.wait(10)
        read(depth=8)
        b_done.set()

    threshold = gc.get_threshold()
    gc.set_threshold(50)  # collections, hence the pause, while the AST is built
    gc.callbacks.append(pause_a_inside_parse)
    try:
        threads = [threading.Thread(target=read, name="A"), threading.Thread(target=b, name="B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        gc.callbacks.remove(pause_a_inside_parse)
        gc.set_threshold(*threshold)
    assert a_paused.is_set(), "A was never paused inside ast.parse: the test proves nothing"
    assert not errors, errors
