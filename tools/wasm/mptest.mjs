// Runs plain-assert test modules on the 32-bit MicroPython webassembly port (node): the repo's Python files
// are copied into the port's in-memory file system, then each test_* function of each module is called.
// Usage: node tools/wasm/mptest.mjs host_tests.test_vboard_alloc [more modules...]
// Prints failures and "N passed, N failed"; exit 1 on any failure or when nothing ran.
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const DIRS = ["firmware", "tools", "boards", "scenarios", "host_tests"];
const HEAP = 16 * 1024 * 1024;

function copyTree(mp, rel) {
  const src = path.join(ROOT, rel);
  mp.FS.mkdir("/repo/" + rel);
  for (const name of fs.readdirSync(src).sort()) {
    if (name === "node_modules" || name === "__pycache__" || name.startsWith(".")) continue;
    const r = rel + "/" + name;
    const st = fs.statSync(path.join(ROOT, r));
    if (st.isDirectory()) copyTree(mp, r);
    else if (name.endsWith(".py") || name.endsWith(".json")) mp.FS.writeFile("/repo/" + r, fs.readFileSync(path.join(ROOT, r)));
  }
}

const modules = process.argv.slice(2);
let text = "";
const mp = await loadMicroPython({
  heapsize: HEAP,
  stdout: (s) => { text += s + "\n"; process.stdout.write(s + "\n"); },
  stderr: (s) => { process.stderr.write(s + "\n"); },
});
mp.FS.mkdir("/repo");
for (const d of DIRS) copyTree(mp, d);
const mods = JSON.stringify(modules);
mp.runPython(`
import sys, os
os.chdir("/repo")
sys.path[:0] = ["/repo", "/repo/firmware"]
_passed = 0
_failed = 0
for _name in ${mods}:
    __import__(_name)
    _mod = sys.modules[_name]
    for _attr in sorted(dir(_mod)):
        _fn = getattr(_mod, _attr)
        if not _attr.startswith("test_") or not callable(_fn):
            continue
        try:
            _fn()
            _passed += 1
        except Exception as _e:
            _failed += 1
            print("FAIL %s.%s: %s %s" % (_name, _attr, type(_e).__name__, _e))
print("webassembly (%s): %s" % (sys.implementation._machine if hasattr(sys.implementation, "_machine") else sys.platform, " ".join(${mods})))
print("%d passed, %d failed" % (_passed, _failed))
`);
const m = text.match(/(\d+) passed, (\d+) failed/);
process.exit(m && m[2] === "0" && m[1] !== "0" ? 0 : 1);
