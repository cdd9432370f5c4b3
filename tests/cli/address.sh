# !address -summary against the MemoryInfoList stream, read a second time by
# stream_totals.py: region counts and byte sums per state, type (busy) and
# protection (committed) equal the stream's; the usage rows add up to the
# whole address space, Free to the free regions; Free + Reserve + Commit
# covers the address space the stream describes; the largest free region is
# the stream's. On Breakpad's tiny-exe-with-cet-xsave.dmp (Windows 11 x64),
# Firefox's windows-x86 dump (3980 regions, addresses above 2 GB
# sign-extended by dbghelp) and every lab dump; !address ADDR names the
# PEB, TEBs, every thread's stack and the main image. A dump without the
# stream gets the best-effort summary and says so.
. "$(dirname "$0")/lib.sh"
tiny=$(corpus google__breakpad/src__processor__testdata__tiny-exe-with-cet-xsave.dmp)
x86=$(corpus mozilla-services__minidump-stackwalk/pgo_data__minidumps__windows-x86.dmp.DECOMPRESSED.dmp)
plain=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
need "$tiny" "$x86" "$plain"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
totals="$COR_SRC/tests/cli/stream_totals.py"

check_totals() { # DUMP
    run -c '!address -summary' "$1"
    expect_status 0
    python3 "$totals" address "$1" <<<"$out" || fail "!address -summary disagrees with $(basename "$1")'s MemoryInfoList"
}
# usage_count NAME: the RgnCount of a usage row in $out.
usage_count() { grep -E "^$1 +[0-9]+ " <<<"$out" | head -1 | awk '{print $2}'; }

check_totals "$tiny"
has_line "$out" "--- Usage Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal"
has_line "$out" "--- Type Summary (for busy) ------ RgnCount ----------- Total Size -------- %ofBusy %ofTotal"
has_line "$out" "--- State Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal"
has_line "$out" "--- Protect Summary (for commit) - RgnCount ----------- Total Size -------- %ofBusy %ofTotal"
has_line "$out" "--- Largest Region by Usage ----------- Base Address -------- Region Size ----------"
has_line "$out" "Free                                    127     7dfa\`f9fb3000 ( 125.980 TB)           98.42%"
has_line "$out" "PEB                                       1        0\`00001000 (   4.000 kB)   0.00%    0.00%"
[ "$(usage_count TEB)" = 1 ] || fail "tiny.exe has one thread, so one TEB"
[ "$(usage_count Stack)" -ge 1 ] || fail "no stack region"
[ "$(usage_count Heap)" -ge 1 ] || fail "the PEB's ProcessHeap is not a heap region"
run -c '!address @$teb; !address @$peb; !address @rsp; !address tiny; !address 7ffe0000' "$tiny"
has_line "$out" "Usage:                  TEB"
has_line "$out" "More info:              ~0s; !teb"
has_line "$out" "Usage:                  PEB"
has_line "$out" "Usage:                  Stack"
has_line "$out" "More info:              ~0k"
has_line "$out" "Usage:                  Image"
has_line "$out" "Module Name:            tiny"
has_line "$out" "Type:                   01000000          MEM_IMAGE"
has_line "$out" "Additional info:        User Shared Data"

check_totals "$x86"
[ "$(usage_count TEB)" = 95 ] || fail "95 threads, $(usage_count TEB) TEBs"
has_line "$out" "PEB                                       1              1000 (   4.000 kB)   0.00%    0.00%"
# The largest free region lies above 2 GB: the stream says ffffffffa0061000.
has_line "$out" "Free                                      a0061000          50d7f000 (   1.263 GB)"
run -c '!address a0061000' "$x86"
has_line "$out" "Usage:                  Free"
has_line "$out" "Base Address:           a0061000"
has_line "$out" "State:                  00010000          MEM_FREE"

run -c '!address -summary; !address @esp' "$plain"
expect_status 0
has "$out" "The dump has no MemoryInfoList stream"
has_re "$out" '^Image +13 '
has_line "$out" "Usage:                  Stack"
run -c '!address' "$plain"
has "$out" "!address needs -summary or an address"

shopt -s nullglob
lab_checked=0
for facts in "${COR_LAB:-/nonexistent}"/*.facts; do
    dump=${facts%.facts}.dmp
    [ -f "$dump" ] || continue
    lab_checked=$((lab_checked + 1))
    run -c '~' "$dump"
    nthreads=$(count_re "$out" '^[.# ] +[0-9]+  Id: ')
    run -c '!address -summary' "$dump"
    if grep -q 'no MemoryInfoList' <<<"$out"; then
        [ "$(usage_count Image)" -ge 1 ] || fail "$(basename "$dump"): no image regions"
        continue
    fi
    check_totals "$dump"
    [ "$(usage_count TEB)" = "$nthreads" ] || fail "$(basename "$dump"): $nthreads threads, $(usage_count TEB) TEBs"
    [ "$(usage_count PEB)" = 1 ] || fail "$(basename "$dump"): not one PEB"
    # Every thread's stack pointer is in its own stack.
    run -c '~*e !address @rsp' "$dump"
    [ "$(count_re "$out" '^Usage: +Stack$')" = "$nthreads" ] || fail "$(basename "$dump"): not every rsp is in a Stack region"
    for ((i = 0; i < nthreads; i++)); do has_line "$out" "More info:              ~${i}k"; done
    base=$(sed -n 's/^image_base=//p' "$facts")
    exe=$(sed -n 's/^exe=//p' "$facts")
    run -c "!address $base; !address @\$peb" "$dump"
    has_line "$out" "Usage:                  Image"
    has_line "$out" "Module Name:            ${exe%.*}"
    has_line "$out" "$(printf 'Allocation Base:        %08x`%08x' $((base >> 32)) $((base & 0xffffffff)))"
    has_line "$out" "Usage:                  PEB"
done
[ "$lab_checked" -gt 0 ] || echo "note: no lab dumps in ${COR_LAB:-(COR_LAB unset)}; lab checks skipped"
[ "$lab_checked" -gt 0 ] || [ -z "${COR_LAB_REQUIRED:-}" ] || fail "lab dumps required"
finish
