// make bench: the firmware's RAM after boot on the 32-bit webassembly port, its .mpy files imported from
// the port's in-memory file system (as a board imports them from flash), on tools/perf/stub hardware.
// Usage: node tools/wasm/bootram.mjs MPY_TREE BOARD_FILE [SCRIPT]   (MPY_TREE from tools/perf/board_figures.mpy_tree)
// Prints the JSON line of SCRIPT (default tools/perf/mp_boot_ram.py; tools/perf/mp_net_boot_ram.py: with MQTT).
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const [tree, boardFile, script, flag] = process.argv.slice(2);  // flag "--ocpp": an OCPP charge point too
const HEAP = 192 * 1024;  // as the unix figure: a 192K heap

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
mp.FS.writeFile("/board.py", fs.readFileSync(boardFile));
mp.FS.writeFile("/mp_boot_ram.py", fs.readFileSync(script || path.join(ROOT, "tools", "perf", "mp_boot_ram.py")));
if (script) {  // mp_net_boot_ram.py: boot, console, MQTT connected; every figure taken in a call of its own
  mp.runPython(`
import sys
sys.path[:0] = ["/stub", "/fw"]
STAGED = True
BOOT_ARGS = ["/board.py"]
exec(open("/mp_boot_ram.py").read())
`);
  mp.runPython("boot(_args[0])");
  mp.runPython("W = mem()");
  mp.runPython("connect()");
  mp.runPython("P = mem()");
  for (;;) {
    mp.runPython("more = step()");
    if (!mp.globals.get("more")) break;
    mp.runPython("P = max(P, mem())");
  }
  mp.runPython("finish()");
  mp.runPython("A = mem()");
  if (flag === "--ocpp") {
    mp.runPython("ocpp()");
    mp.runPython("P = max(P, mem())");
    for (;;) {
      mp.runPython("more = ocpp_step()");
      if (!mp.globals.get("more")) break;
      mp.runPython("P = max(P, mem())");
    }
    mp.runPython("A = mem()");
  }
  mp.runPython("report(W, max(P, A), A)");
} else {
  // mp_boot_ram.py in stages, each figure taken in a call of its own: this port's gc.collect() frees
  // nothing inside the runPython call that made the garbage (the next call's collect does).
  mp.runPython(`
import sys
sys.path[:0] = ["/stub", "/fw"]
STAGED = True
BOOT_ARGS = ["/board.py", "--meter"]
exec(open("/mp_boot_ram.py").read())
`);
  mp.runPython("F = [mem()]");
  mp.runPython("boot(_args[0])");
  mp.runPython("F.append(mem())");
  mp.runPython("console()");
  mp.runPython("F.append(mem())");
  mp.runPython("meter()");
  mp.runPython("F.append(mem())");
  mp.runPython("report(F[0], F[1], F[2], F[3])");
}
process.stdout.write(out.trim().split("\n").pop() + "\n");
