#!/usr/bin/env bash
# Generates a Windows x64 program with many functions and line records and
# links it with lld into a PDB of tens of MB: the large input of the symbol
# benchmark. Cached: does nothing when OUT/big.pdb exists.
#   gen-big-pdb.sh OUTDIR [FUNCTIONS_PER_FILE] [FILES]
set -euo pipefail
out=$1
per=${2:-12000}
files=${3:-8}
[ -f "$out/big.pdb" ] && exit 0
mkdir -p "$out/src"
for f in $(seq 0 $((files - 1))); do
    python3 - "$out/src/part$f.c" "$f" "$per" <<'PY'
import sys
path, part, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "w") as o:
    o.write("static volatile int sink;\n")
    for i in range(per):
        n = f"bench_p{part}_f{i}"
        o.write(f"__attribute__((noinline)) int {n}(int a)\n{{\n    int b = a * {i + 3};\n"
                f"    if (b & 1)\n        sink += b;\n    else\n        sink -= a;\n    return b + sink;\n}}\n")
    o.write(f"int bench_part{part}(int a)\n{{\n    int s = 0;\n")
    for i in range(0, per, 97):
        o.write(f"    s += bench_p{part}_f{i}(a);\n")
    o.write("    return s;\n}\n")
PY
done
{
    echo "#include <stdio.h>"
    for f in $(seq 0 $((files - 1))); do echo "int bench_part$f(int);"; done
    echo "int main(int argc, char **argv) { (void)argv; int s = 0;"
    for f in $(seq 0 $((files - 1))); do echo "  s += bench_part$f(argc);"; done
    echo "  printf(\"%d\\n\", s); return 0; }"
} >"$out/src/main.c"
objs=()
for c in "$out"/src/*.c; do
    o=${c%.c}.o
    clang --target=x86_64-w64-mingw32 -g -gcodeview -O0 -c "$c" -o "$o" &
    objs+=("$o")
    # Two compilers at a time: the machine has two cores.
    [ "$(jobs -r | wc -l)" -ge 2 ] && wait -n
done
wait
clang --target=x86_64-w64-mingw32 -fuse-ld=lld -L/usr/lib/gcc/x86_64-w64-mingw32/12-win32 \
    -Wl,--pdb="$out/big.pdb" "${objs[@]}" -o "$out/big.exe"
ls -l "$out/big.pdb" "$out/big.exe"
