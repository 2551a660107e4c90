# pytest set-up: the firmware package and the repo's tools importable, as on the board and the bench.
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for p in (os.path.join(ROOT, "firmware"), ROOT):
    if p not in sys.path:
        sys.path.insert(0, p)

# test_mp_*.py need the real MicroPython (micropython.heap_lock); tools/mptest.py runs them there.
collect_ignore_glob = ["test_mp_*.py"]

# CI runs the hypothesis properties on a fixed sequence of examples (derandomize), so a landing does not
# depend on the seed a machine draws; at a desk they draw fresh examples each run and keep finding corners
# (two of issue 8's defects were found that way).
if os.environ.get("CI"):
    from hypothesis import settings as _hsettings

    _hsettings.register_profile("ci", derandomize=True)
    _hsettings.load_profile("ci")
