# Small JSON files on flash (settings, history): atomic replace on save, recovery of an interrupted save.
# Save = write <path>.tmp, then rename it over <path>; a valid <path> is always preferred on load.
import json
import os

MAX_BYTES = 16384  # a larger file is treated as corrupt (no unbounded reads into RAM)


def write_atomic(path, text):
    """Write text to path so a power cut leaves the old or the new file. Raises OSError."""
    tmp = path + ".tmp"
    f = open(tmp, "wb")
    try:
        f.write(text.encode())
        f.flush()
        sync = getattr(os, "fsync", None)  # CPython only; MicroPython's close() commits
        if sync is not None:
            sync(f.fileno())
    finally:
        f.close()
    try:
        os.rename(tmp, path)  # POSIX, littlefs and MicroPython's FAT driver replace the target
    except OSError:
        # A VFS that refuses to rename over an existing file: remove, then rename.
        # A cut between the two leaves only the complete .tmp, which load() recovers.
        try:
            os.remove(path)
        except OSError:
            pass
        os.rename(tmp, path)


def load(path):
    """(obj, problem): the parsed JSON object, or None; problem is None or a short reason.

    Missing file: (None, None). Never raises."""
    text, exists = _read(path)
    obj = _parse(text)
    if obj is not None:
        return obj, None
    tmp = path + ".tmp"
    tobj = _parse(_read(tmp)[0])
    if tobj is not None:
        # An interrupted save: finish it so the next save cannot overwrite the only good copy.
        try:
            if exists:
                os.remove(path)
            os.rename(tmp, path)
        except OSError:
            pass
        return tobj, None
    if not exists:
        return None, None
    return None, "corrupt"


def _read(path):
    """(text or None, exists)."""
    try:
        f = open(path, "rb")
    except OSError:  # ENOENT (2 on unix, 44 on webassembly) or anything else: missing
        return None, False
    try:
        try:
            data = f.read(MAX_BYTES + 1)
        finally:
            f.close()
        if len(data) > MAX_BYTES:
            return None, True
        return data.decode(), True
    except Exception:  # read error or invalid UTF-8
        return None, True


def _parse(text):
    """A dict parsed from text, or None."""
    if text is None:
        return None
    try:
        obj = json.loads(text)
    except Exception:  # ValueError, or RecursionError/MemoryError on hostile input
        return None
    if not isinstance(obj, dict):
        return None
    return obj
