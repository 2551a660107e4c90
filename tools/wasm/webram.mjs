// make bench: the web server's RAM on the 32-bit webassembly port (issue 14), the firmware's and microdot's
// .mpy files imported from the port's in-memory file system, on tools/perf/stub hardware: the stages of
// tools/perf/mp_web_ram.py, each stage's turns and each figure in a runPython call of its own (this port's
// gc.collect() frees nothing inside the call that made the garbage).
// Usage: node tools/wasm/webram.mjs MPY_TREE BOARD_FILE [--together]   (MPY_TREE with firmware/microdot/)
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const [tree, boardFile, flag] = process.argv.slice(2);
const HEAP = 512 * 1024;  // room for MQTT, OCPP and web together; the figures are live heap, not the heap size

function copyTree(mp, src, dst, keep) {
  mp.FS.mkdir(dst);
  for (const name of fs.readdirSync(src).sort()) {
    const s = path.join(src, name);
    if (fs.statSync(s).isDirectory()) copyTree(mp, s, dst + "/" + name, keep);
    else if (keep(name)) mp.FS.writeFile(dst + "/" + name, fs.readFileSync(s));
  }
}

let out = "";
const mp = await loadMicroPython({ heapsize: HEAP, stdout: (s) => { out += s + "\n"; }, stderr: (s) => { process.stderr.write(s + "\n"); } });
copyTree(mp, path.join(tree, "firmware"), "/fw", (n) => n.endsWith(".mpy"));
copyTree(mp, path.join(ROOT, "tools", "perf", "stub"), "/stub", (n) => n.endsWith(".py"));
mp.FS.mkdir("/perf");
mp.FS.writeFile("/board.py", fs.readFileSync(boardFile));
for (const n of ["mp_web_ram.py", "mp_net_boot_ram.py"]) {
  mp.FS.writeFile("/perf/" + n, fs.readFileSync(path.join(ROOT, "tools", "perf", n)));
}
mp.runPython(`
import sys
sys.path[:0] = ["/stub", "/fw"]
STAGED = True
HERE = "/perf"
BOOT_ARGS = ["/board.py"${flag ? ', "' + flag + '"' : ""}]
exec(open("/perf/mp_web_ram.py").read())
STAGES = ",".join(plan())
`);
const stages = mp.globals.get("STAGES").split(",");
for (const s of stages) {
  for (;;) {
    mp.runPython(`more = ${s}()`);
    const more = mp.globals.get("more");
    mp.runPython(`note("${s}")`);
    if (!more) break;
  }
}
mp.runPython("report()");
process.stdout.write(out.trim().split("\n").pop() + "\n");
