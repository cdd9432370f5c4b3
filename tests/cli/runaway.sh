# !runaway against the ThreadInfoList stream, read a second time by
# stream_totals.py (an independent reader): every thread's user, kernel and
# elapsed time, sorted busiest first, adding up to the stream's totals. On
# LLDB's fizzbuzz_no_heap.dmp (the corpus's one Windows dump with thread
# times) and on every lab dump; in hang_locks the spinning thread used the
# most user time by construction. Dumps without the stream get a message.
. "$(dirname "$0")/lib.sh"
fizz=$(corpus llvm-mirror__lldb/packages__Python__lldbsuite__test__functionalities__postmortem__minidump__fizzbuzz_no_heap.dmp)
plain=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
need "$fizz" "$plain"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
totals="$COR_SRC/tests/cli/stream_totals.py"

check_totals() { # DUMP: !runaway 7 agrees with the stream
    run -c '!runaway 7' "$1"
    expect_status 0
    python3 "$totals" runaway "$1" <<<"$out" || fail "!runaway 7 disagrees with $(basename "$1")'s ThreadInfoList"
}

check_totals "$fizz"
# WinDbg's layout: section title, column header, "N:TID" and the time.
has_line "$out" " User Mode Time"
has_line "$out" "  Thread       Time"
has_line "$out" "   0:2320      0 days 0:00:00.000"
has_line "$out" " Elapsed Time"
has_re "$out" '^   0:2320      0 days 0:00:[0-9]{2}\.[0-9]{3}$'
# The default is user time only; 2 is kernel time only.
run -c '!runaway' "$fizz"
has_line "$out" " User Mode Time"
lacks "$out" "Kernel Mode Time"
run -c '!runaway 2' "$fizz"
has_line "$out" " Kernel Mode Time"
lacks "$out" "User Mode Time"
lacks "$out" "Elapsed Time"

run -c '!runaway 7' "$plain"
expect_status 0
has "$out" "The dump has no thread times: it has no ThreadInfoList stream"

shopt -s nullglob
lab_checked=0
for facts in "${COR_LAB:-/nonexistent}"/*.facts; do
    dump=${facts%.facts}.dmp
    [ -f "$dump" ] || continue
    check_totals "$dump"
    lab_checked=$((lab_checked + 1))
    spinner=$(sed -n 's/^tid\.spinner=//p' "$facts")
    if [ -n "$spinner" ]; then
        # The busiest thread in user mode, first under the header.
        first=$(grep -A2 '^ User Mode Time$' <<<"$out" | sed -n 3p)
        printf -v re '^ +[0-9]+:%x +0 days ' "$spinner"
        grep -qE "$re" <<<"$first" || fail "the spinner ($spinner) is not the busiest thread: '$first'"
    fi
done
[ "$lab_checked" -gt 0 ] || echo "note: no lab dumps in ${COR_LAB:-(COR_LAB unset)}; lab checks skipped"
[ "$lab_checked" -gt 0 ] || [ -z "${COR_LAB_REQUIRED:-}" ] || fail "lab dumps required"
finish
