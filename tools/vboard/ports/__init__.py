# The fake modules, importable as top-level names (machine, rp2, esp32, time) once this folder is on sys.path.
