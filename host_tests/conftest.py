# pytest set-up: the firmware package and the repo's tools importable, as on the board and the bench.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (os.path.join(ROOT, "firmware"), ROOT):
    if p not in sys.path:
        sys.path.insert(0, p)

# test_mp_*.py need the real MicroPython (micropython.heap_lock); tools/mptest.py runs them there.
collect_ignore_glob = ["test_mp_*.py"]
