#!/usr/bin/env bash
# Benchmarks, reported side by side with a peer measured in the same run
# (never as pass/fail timings).
#
# 1. Opening a dump and listing modules and threads: `coroner -c "lm; ~"`
#    against LLDB's `image list` (plus `thread list`) on the largest lab
#    dump and the largest corpus dump. Wall time (median of N runs) and peak
#    RSS for both; the ratio is what to watch.
set -euo pipefail
build=${1:-build}
lab=${2:-$build/lab}
runs=${BENCH_RUNS:-5}
here=$(cd "$(dirname "$0")" && pwd)
corpus=${COR_CORPUS:-$here/../../shared/corpus}
coroner=$build/coroner
lldb=$(command -v lldb || command -v lldb-14 || true)

# Largest dumps at hand: every lab dump, and the largest corpus dump.
dumps=()
if [ -d "$lab" ]; then
    while IFS= read -r f; do dumps+=("$f"); done < <(ls -S "$lab"/*.dmp 2>/dev/null | head -1)
fi
dumps+=("$(ls -S "$corpus"/*/*.dmp | head -1)")

# Runs a command $runs times; prints "median_ms max_rss_kb".
measure() {
    local times=() rss=0 out
    for _ in $(seq "$runs"); do
        out=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null 2>/dev/null; } 2>&1 | tail -1)
        times+=("$(awk '{printf "%d", $1*1000}' <<<"$out")")
        local r; r=$(awk '{print $2}' <<<"$out")
        [ "$r" -gt "$rss" ] && rss=$r
    done
    local med; med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$med $rss"
}

printf '%-40s %10s %8s | %-18s %10s %8s | %s\n' "dump (size)" "coroner ms" "RSS MB" "peer" "peer ms" "RSS MB" "time ratio"
for d in "${dumps[@]}"; do
    size=$(du -m "$d" | cut -f1)
    read -r cm cr < <(measure "$coroner" -c "lm; ~" "$d")
    if [ -n "$lldb" ]; then
        read -r lm lr < <(measure "$lldb" --batch --no-lldbinit -c "$d" -o "image list" -o "thread list")
        ratio=$(awk -v a="$lm" -v b="$cm" 'BEGIN { if (b == 0) b = 1; printf "%.1fx faster", a / b }')
        printf '%-40s %10s %8.1f | %-18s %10s %8.1f | %s\n' "$(basename "$d") (${size} MB)" "$cm" "$(awk -v r="$cr" 'BEGIN{print r/1024}')" \
            "lldb image list" "$lm" "$(awk -v r="$lr" 'BEGIN{print r/1024}')" "$ratio"
    else
        printf '%-40s %10s %8.1f | %s\n' "$(basename "$d") (${size} MB)" "$cm" "$(awk -v r="$cr" 'BEGIN{print r/1024}')" "lldb not installed"
    fi
done
