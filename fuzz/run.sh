#!/usr/bin/env bash
# Runs every fuzz target for FUZZ_SECONDS (default 600) on a corpus seeded
# from the shared corpus; findings are written to fuzz/findings/ and fail
# the run.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-600}
here=$(cd "$(dirname "$0")" && pwd)
corpus_root=${COR_CORPUS:-$here/../../shared/corpus}
work=$build/fuzz-work
mkdir -p "$work" "$here/findings"

seed() { # target, glob...
    local dir=$work/$1-corpus; shift
    mkdir -p "$dir"
    for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$dir/" 2>/dev/null || true; done
    echo "$dir"
}

status=0
for target in "$build"/fuzz/fuzz_*; do
    [ -f "$target" ] && [ -x "$target" ] || continue
    name=$(basename "$target")
    case $name in
        fuzz_dump) dir=$(seed "$name" "$corpus_root"/*/*.dmp) ;;
        # Dumps with stacks to walk: the corpus's and, when the lab is
        # built, its dumps cut down to what their walks read (stack_seeds.py:
        # stacks, unwind tables, code pages), which reach the x64 unwinder.
        fuzz_unwind)
            dir=$(seed "$name" "$corpus_root"/*/*.dmp)
            lab=${COR_LAB:-$here/../build/lab}
            if ls "$lab"/*.dmp >/dev/null 2>&1 && command -v python3 >/dev/null; then
                python3 "$here/stack_seeds.py" "$dir" "$lab"/*.dmp >/dev/null 2>&1 || true
            fi ;;
        # The heap reader and IIS recognition follow pointers in process
        # memory: dumps with a PEB, and the lab's small w3wp dump (-mp).
        fuzz_heaps)
            dir=$(seed "$name" "$corpus_root"/*/*.dmp)
            lab=${COR_LAB:-$here/../build/lab}
            if ls "$lab"/*_mp.dmp >/dev/null 2>&1; then seed "$name" "$lab"/*_mp.dmp >/dev/null; fi ;;
        fuzz_pe) dir=$(seed "$name" "$corpus_root"/*/*.dll "$corpus_root"/*/*.exe) ;;
        fuzz_pdb) dir=$(seed "$name" "$corpus_root"/*/*.pdb) ;;
        fuzz_breakpad) dir=$(seed "$name" "$corpus_root"/*/*.sym) ;;
        *) dir=$(seed "$name") ;;
    esac
    echo "== $name: ${seconds}s on $(ls "$dir" | wc -l) seeds"
    if ! "$target" -max_total_time="$seconds" -max_len=4194304 -rss_limit_mb=4096 \
            -artifact_prefix="$here/findings/$name-" "$dir" 2>"$work/$name.log"; then
        echo "$name: finding, see fuzz/findings/ and $work/$name.log" >&2
        tail -30 "$work/$name.log" >&2
        status=1
    else
        tail -1 "$work/$name.log"
    fi
done
exit $status
