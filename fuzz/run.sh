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
