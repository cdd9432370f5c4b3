#!/usr/bin/env bash
# Benchmarks, reported side by side with a peer measured in the same run
# (never as pass/fail timings).
#
# 1. Opening a dump and listing modules and threads: `coroner -c "lm; ~"`
#    against LLDB's `image list` (plus `thread list`) on the largest lab
#    dump and the largest corpus dump. Wall time (median of N runs) and peak
#    RSS for both; the ratio is what to watch.
# 2. Stack walking: `coroner -c "~*k ffff"` against LLDB's `bt all` on every
#    lab dump and the largest corpus dump: frames recovered across all
#    threads and wall time, both as ratios.
# 3. Symbol lookups against a generated PDB (see below).
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
    local times=() rss=0 out tf
    tf=$(mktemp)
    for _ in $(seq "$runs"); do
        # Wall time from the shell's microsecond clock (time's %e has only
        # 10 ms resolution); peak RSS from GNU time.
        local t0=$EPOCHREALTIME
        timeout 120 /usr/bin/time -o "$tf" -f "%M" "$@" </dev/null >/dev/null 2>&1 || true
        local t1=$EPOCHREALTIME
        out="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }') $(tail -1 "$tf")"
        times+=("$(awk '{print $1}' <<<"$out")")
        local r; r=$(awk '{print $2}' <<<"$out")
        [ "$r" -gt "$rss" ] && rss=$r
    done
    rm -f "$tf"
    local med; med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "$med $rss"
}

printf '%-44s %10s %8s | %-18s %10s %8s | %s\n' "dump (size)" "coroner ms" "RSS MB" "peer" "peer ms" "RSS MB" "time ratio"
for d in "${dumps[@]}"; do
    size=$(du -m "$d" | cut -f1)
    read -r cm cr < <(measure "$coroner" -c "lm; ~" "$d")
    if [ -n "$lldb" ]; then
        read -r lm lr < <(measure "$lldb" --batch --no-lldbinit -c "$d" -o "image list" -o "thread list")
        ratio=$(awk -v a="$lm" -v b="$cm" 'BEGIN { if (b == 0) b = 1; printf "%.1fx faster", a / b }')
        printf '%-44s %10s %8.1f | %-18s %10s %8.1f | %s\n' "$(basename "$d" | cut -c1-34) (${size} MB)" "$cm" "$(awk -v r="$cr" 'BEGIN{print r/1024}')" \
            "lldb image list" "$lm" "$(awk -v r="$lr" 'BEGIN{print r/1024}')" "$ratio"
    else
        printf '%-40s %10s %8.1f | %s\n' "$(basename "$d" | cut -c1-34) (${size} MB)" "$cm" "$(awk -v r="$cr" 'BEGIN{print r/1024}')" "lldb not installed"
    fi
done

# 2. Stack walking. Every lab dump gets the lab's PDBs (-y bin); the
#    module-list-only dump (_mp) also gets the image files (-i bin and Wine's
#    PE DLLs), as tests/cli/stacks.sh does, since it holds no image memory
#    and so no unwind tables. The corpus dump gets the Breakpad .sym files
#    its corpus folder ships (pgo_data__symbols__PDB__ID__NAME.xz), unpacked
#    once into $build/bench-syms. LLDB is given the dump alone: it reads
#    neither PDBs for minidumps nor .sym files. Frames are counted as each
#    tool prints them (coroner's physical frames, not the inline rows).
echo
stack_dumps=()
if [ -d "$lab" ]; then
    while IFS= read -r f; do stack_dumps+=("$f"); done < <(ls "$lab"/*.dmp 2>/dev/null)
fi
corpus_dump=$(ls -S "$corpus"/*/*.dmp | head -1)
stack_dumps+=("$corpus_dump")

# Breakpad symbol tree (DIR/name.pdb/ID/name.sym) from a corpus folder's
# compressed .sym files; prints the directory, or nothing when there are none.
corpus_syms() {
    local src dir f n pdb rest id sym
    src=$(dirname "$1")
    dir=$build/bench-syms
    ls "$src"/*__symbols__*.sym.xz >/dev/null 2>&1 || return 0
    if [ ! -f "$dir/.stamp" ]; then
        rm -rf "$dir"
        for f in "$src"/*__symbols__*.sym.xz; do
            n=${f##*__symbols__}; n=${n%.xz}
            pdb=${n%%__*}; rest=${n#*__}; id=${rest%%__*}; sym=${rest#*__}
            mkdir -p "$dir/$pdb/$id"
            xz -dc "$f" >"$dir/$pdb/$id/$sym"
        done
        touch "$dir/.stamp"
    fi
    echo "$dir"
}
winedlls=$(ls -d /usr/lib/*/wine/x86_64-windows 2>/dev/null | head -1)

# Frames in `k` output (x64 "Child-SP RetAddr" rows, x86 "ChildEBP RetAddr"
# rows) and in LLDB's `bt all` ("frame #N:").
count_k() { grep -cE '^([0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8}|[0-9a-f]{8} [0-9a-f]{8}) ' || true; }
count_bt() { grep -cE 'frame #[0-9]+:' || true; }

printf '%-36s %7s | %14s %9s | %14s %9s | %-17s %s\n' "~*k ffff vs bt all: dump (size)" "threads" \
    "coroner frames" "ms" "lldb frames" "ms" "frames" "time"
# One row: stack_row LABEL DUMP [coroner options...]
stack_row() {
    local name=$1 d=$2; shift 2
    local kout cf threads cm lf lm fr tr bout
    kout=$(timeout 300 "$coroner" "$@" -c "~*k ffff" "$d" 2>/dev/null </dev/null || true)
    cf=$(count_k <<<"$kout")
    threads=$(grep -cE '^[.# ] *[0-9]+  Id: ' <<<"$kout" || true)
    read -r cm _ < <(measure "$coroner" "$@" -c "~*k ffff" "$d")
    if [ -n "$lldb" ]; then
        bout=$(timeout 300 "$lldb" --batch --no-lldbinit -c "$d" -o "bt all" 2>/dev/null </dev/null || true)
        lf=$(count_bt <<<"$bout")
        read -r lm _ < <(measure "$lldb" --batch --no-lldbinit -c "$d" -o "bt all")
        fr=$(awk -v a="$cf" -v b="$lf" 'BEGIN { if (b == 0) print "-"; else printf (a / b < 100 ? "%.2fx as many" : "%.0fx as many"), a / b }')
        tr=$(awk -v a="$lm" -v b="$cm" 'BEGIN { if (b == 0) b = 1; r = a / b; if (r >= 1) printf "%.1fx faster", r; else printf "%.1fx slower", 1 / r }')
        printf '%-36s %7s | %14s %9s | %14s %9s | %-17s %s\n' "$name" "$threads" "$cf" "$cm" "$lf" "$lm" "$fr" "$tr"
    else
        printf '%-36s %7s | %14s %9s | %s\n' "$name" "$threads" "$cf" "$cm" "lldb not installed"
    fi
}
for d in "${stack_dumps[@]}"; do
    name="$(basename "$d" | cut -c1-26) ($(du -m "$d" | cut -f1) MB)"
    if [ "$d" = "$corpus_dump" ]; then
        # With the corpus's .sym files, then as LLDB sees it: no symbols.
        syms=$(corpus_syms "$d")
        [ -n "$syms" ] && stack_row "$name" "$d" -y "$syms"
        stack_row "$(basename "$d" | cut -c1-24) (no symbols)" "$d"
    else
        case $d in
        *_mp.dmp) stack_row "$name" "$d" -y "$lab/bin" -i "$lab/bin${winedlls:+;$winedlls}" ;;
        *) stack_row "$name" "$d" -y "$lab/bin" ;;
        esac
    fi
done

# 3. Symbol lookups: one million addresses inside the functions of a
#    generated PDB of tens of MB (bench/gen-big-pdb.sh, lld-made, cached),
#    through coroner's PDB reader, against llvm-symbolizer (LLVM 14 reads
#    PDBs natively) on the first BENCH_PEER_N of the same addresses: it is
#    far slower per lookup, so it gets fewer, and rates are compared.
echo
bigdir=$build/bench-pdb
"$here/gen-big-pdb.sh" "$bigdir" >/dev/null
peer_n=${BENCH_PEER_N:-1000}
addrs=$bigdir/addrs.txt
line=$(BENCH_PEER_N=$peer_n "$build/bench/sym_bench" "$bigdir/big.pdb" 1000000 "$addrs" 0x140000000)
load=$(sed -n 's/.*load_ms=\([0-9.]*\).*/\1/p' <<<"$line")
rate=$(sed -n 's/.*lookups_per_s=\([0-9]*\).*/\1/p' <<<"$line")
pdb_mb=$(du -m "$bigdir/big.pdb" | cut -f1)
printf '%-44s %12s %14s\n' "symbols: big.pdb (${pdb_mb} MB)" "load ms" "lookups/s"
printf '%-44s %12s %14s\n' "coroner (1000000 lookups)" "$load" "$rate"
if command -v llvm-symbolizer >/dev/null; then
    t0=$EPOCHREALTIME
    timeout 600 llvm-symbolizer --obj="$bigdir/big.exe" <"$addrs" >/dev/null || true
    t1=$EPOCHREALTIME
    prate=$(awk -v a="$t0" -v b="$t1" -v n="$peer_n" 'BEGIN { printf "%.0f", n / (b - a) }')
    printf '%-44s %12s %14s   (load included)\n' "llvm-symbolizer ($peer_n lookups)" "-" "$prate"
    awk -v a="$rate" -v b="$prate" 'BEGIN { if (b > 0) printf "coroner resolves %.0fx as many addresses per second\n", a / b }'
fi
