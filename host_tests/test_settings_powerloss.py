# Power cut at every byte offset of a settings save: the next load() gives exactly the old or the new
# settings, never a mix and never an exception, whatever the VFS does with rename over an existing file.
import errno
import os

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from evse import pinhash, settings as S, store
from evse.settings import Settings

RUNS = {"cut_examples": 0}


class Cut(Exception):
    """The lights went out."""


class Power:
    """Work left before the cut: one unit per byte written, one per create/rename/remove."""

    def __init__(self, budget):
        self.left = budget

    def take(self, n):
        got = n if n <= self.left else self.left
        self.left -= got
        return got


class CutFile:
    def __init__(self, f, power):
        self.f = f
        self.power = power

    def write(self, data):
        n = self.power.take(len(data))
        self.f.write(data[:n])
        self.f.flush()
        if n < len(data):
            raise Cut()
        return n

    def flush(self):
        self.f.flush()

    def close(self):
        self.f.close()


class CutOs:
    """os as store.py uses it (rename, remove; no fsync, as on MicroPython), with a power budget.
    refuse=True: rename fails with EEXIST when the target exists (a VFS that does not replace)."""

    def __init__(self, power, refuse):
        self.power = power
        self.refuse = refuse

    def rename(self, a, b):
        if self.refuse and os.path.exists(b):
            raise OSError(errno.EEXIST, "exists")
        if self.power.take(1) < 1:
            raise Cut()
        os.rename(a, b)

    def remove(self, p):
        if self.power.take(1) < 1:
            raise Cut()
        os.remove(p)


def _cut_open(power):
    def _open(path, mode="r"):
        if "w" in mode:
            if power.take(1) < 1:
                raise Cut()
            return CutFile(open(path, mode), power)
        return open(path, mode)

    return _open


def _clean(path):
    for p in (path, path + ".tmp"):
        if os.path.exists(p):
            os.remove(p)


def _bytes(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def _put(path, data):
    if data is None:
        if os.path.exists(path):
            os.remove(path)
        return
    with open(path, "wb") as f:
        f.write(data)


def _load(path):
    s = Settings(path)
    s.load()
    return s


def check_every_cut(path, monkeypatch, old, new, refuse):
    """Cut a save of `new` over `old` (None: no file yet) after every unit of work.
    Returns the number of cut points and the set of (main present, .tmp present) states they left."""
    old_values = old if old is not None else S.defaults()
    budget = 0
    seen = set()  # (main file present, .tmp present) after each cut
    while True:
        _clean(path)
        if old is not None:
            s = Settings(path)
            s.values = dict(old)
            assert s.save()
        power = Power(budget)
        monkeypatch.setattr(store, "open", _cut_open(power), raising=False)
        monkeypatch.setattr(store, "os", CutOs(power, refuse))
        s = Settings(path)
        s.values = dict(new)
        try:
            done = s.save()
            assert done
        except Cut:
            done = False
        monkeypatch.undo()
        left = (_bytes(path), _bytes(path + ".tmp"))  # what the cut left on flash
        seen.add((left[0] is not None, left[1] is not None))
        # As left, and the same cut with the .tmp gone (never created, or cleaned up): old or new.
        variants = [left]
        if left[0] is not None and left[1] is not None:
            variants.append((left[0], None))
        for main, tmp in variants:
            _put(path, main)
            _put(path + ".tmp", tmp)
            got = _load(path)
            assert got.values in (old_values, new), (budget, got.values)
            assert got.warnings == [], (budget, got.warnings)
            again = _load(path)  # load() may have finished an interrupted save: same answer
            assert again.values == got.values
        if done:
            assert got.values == new and left[1] is None
            return budget, seen
        budget += 1


def _other():
    v = S.defaults()
    v.update({"max_current_a": 16, "socket": "type2", "pin": pinhash.make("24680", "0123456789abcdef"),
              "ventilation": True,
              "temp_derate_c": 50, "temp_stop_c": 60, "console_echo": False})
    return v


@pytest.mark.parametrize("refuse", [False, True], ids=["rename-replaces", "rename-refuses"])
def test_cut_at_every_byte_gives_old_or_new(tmp_path, monkeypatch, refuse):
    path = str(tmp_path / "settings.json")
    new = _other()
    n, seen = check_every_cut(path, monkeypatch, S.defaults(), new, refuse)
    assert n > len(Settings(None).text())  # every byte of the new file was a cut point
    # old alone (cut before the .tmp), old + partial or full .tmp; a VFS whose rename does not
    # replace adds the window after remove and before rename: the complete .tmp alone
    assert seen == ({(True, False), (True, True), (False, True)} if refuse else {(True, False), (True, True)})
    check_every_cut(path, monkeypatch, new, S.defaults(), refuse)


@pytest.mark.parametrize("refuse", [False, True], ids=["rename-replaces", "rename-refuses"])
def test_cut_during_the_very_first_save_gives_defaults_or_new(tmp_path, monkeypatch, refuse):
    path = str(tmp_path / "settings.json")
    check_every_cut(path, monkeypatch, None, _other(), refuse)


def test_main_file_cut_at_every_offset_recovers_from_the_complete_tmp(tmp_path):
    # A VFS that wrote the target in place and was cut: the complete .tmp next to it wins.
    path = str(tmp_path / "settings.json")
    s = Settings(path)
    s.values = _other()
    text = s.text().encode()
    for k in range(len(text) + 1):
        _clean(path)
        with open(path, "wb") as f:
            f.write(text[:k])
        with open(path + ".tmp", "wb") as f:
            f.write(text)
        assert _load(path).values == _other(), k


def test_main_file_cut_without_tmp_never_raises(tmp_path):
    path = str(tmp_path / "settings.json")
    s = Settings(path)
    s.values = _other()
    text = s.text().encode()
    for k in range(len(text) - 1):  # the last byte is the newline after a complete object
        _clean(path)
        with open(path, "wb") as f:
            f.write(text[:k])
        got = _load(path)
        assert got.values == S.defaults(), k
        assert len(got.warnings) == 1, k
    with open(path, "wb") as f:
        f.write(text)
    assert _load(path).values == _other()


def _values():
    parts = {}
    for s in S.SCHEMA:
        if s.kind == S.T_INT and s.allowed is not None:
            parts[s.name] = st.sampled_from(s.allowed)
        elif s.kind == S.T_INT:
            parts[s.name] = st.integers(s.lo, s.hi)
        elif s.kind == S.T_BOOL:
            parts[s.name] = st.booleans()
        elif s.kind == S.T_CHOICE:
            parts[s.name] = st.sampled_from(s.choices)
        elif s.kind in (S.T_STR, S.T_SECRET):  # printable ASCII without spaces, lo..hi characters
            parts[s.name] = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=s.lo,
                                    max_size=min(s.hi, 24))
        else:
            # as stored: "" or the salted hash of 4..8 digits (fixed salt: the example must replay)
            parts[s.name] = st.one_of(st.just(""), st.text("0123456789", min_size=4, max_size=8).map(
                lambda d: pinhash.make(d, "00112233445566ff")))
    return st.fixed_dictionaries(parts).filter(lambda v: v["temp_derate_c"] < v["temp_stop_c"])


@hsettings(max_examples=40, deadline=None)
@given(old=_values(), new=_values(), refuse=st.booleans())
def test_random_settings_cut_at_every_byte_give_old_or_new(tmp_path_factory, old, new, refuse):
    RUNS["cut_examples"] += 1
    mp = pytest.MonkeyPatch()
    try:
        path = str(tmp_path_factory.mktemp("cut") / "settings.json")
        check_every_cut(path, mp, old, new, refuse)
    finally:
        mp.undo()


def test_report_examples_run():
    print("powerloss: %d random old/new pairs, every cut point each" % RUNS["cut_examples"])
