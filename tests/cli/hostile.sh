# Hostile and corrupt dumps: each case is a corpus dump with a few fields
# overwritten, or streams added, at test time (corrupt_dump.py); each was
# found by sweeping every command over corrupted dumps. A case passes when
# coroner neither crashes nor trips a sanitizer (run under build-asan too),
# prints what it should, and, for the cases that used to run for seconds
# or minutes (loops and quadratic walks over hostile lists), still ends: a
# guard against runaway work, not a speed target (those live in bench/).
. "$(dirname "$0")/lib.sh"
dump2=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
need "$dump2"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
corrupt="$COR_SRC/tests/cli/corrupt_dump.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# survives: the last run ended by itself (no signal, no sanitizer report).
survives() {
    case $status in 0 | 2) ;; *) fail "$1: exit status $status" ;; esac
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' <<<"$err"; then fail "$1: sanitizer: $err"; fi
}
# bounded WHAT ARGS...: run under a generous bound (60 s; the fixed code
# takes well under a second even under ASan), failing only on runaway work
# such as a loop that never ends; speed itself is not asserted here.
bounded() {
    local what=$1
    shift
    local t0
    t0=$(date +%s)
    run "$@"
    [ $(($(date +%s) - t0)) -le 60 ] || fail "$what ran for over 60 s"
}
# json_ok: the last run printed valid JSON, in UTF-8 (read as bytes: text
# stdin may decode bad bytes as surrogates and hide them).
json_ok() {
    python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' <<<"$out" ||
        fail "$1: analyze printed invalid JSON"
}

# The exception's thread id is not in the thread list: !analyze read the
# empty stack's stop reason through a NULL pointer (crashed).
python3 "$corrupt" "$dump2" "$tmp/tid.dmp" exception.tid=0x12345678
run -c '!analyze -v; !analyze' "$tmp/tid.dmp"
expect_status 0
survives "exception thread not listed"
has_line "$out" "STACK_TEXT:  "
has_line "$out" "FAILURE_BUCKET_ID:  ACCESS_VIOLATION_c0000005_Unknown"
lacks "$out" "FAULTING_THREAD:"
run analyze --format json "$tmp/tid.dmp"
expect_status 0
survives "exception thread not listed (json)"
json_ok "exception thread not listed"
# Thread 1 of minidump2 stops in code outside every module: its caller is
# named by address, not "?+0x0".
python3 -c 'import json,sys; w=json.load(sys.stdin)["waits"][1]; sys.exit(w["caller"] != "0x140640")' <<<"$out" ||
    fail "a caller outside every module is not named by its address"

# A module name of 700 'é': the bucket id (a fixed-size buffer) cut the
# last character in two, and the JSON report was not UTF-8.
python3 "$corrupt" "$dump2" "$tmp/name.dmp" "module.0.name=C:\\\\$(printf '\\u00e9%.0s' $(seq 700)).exe"
run analyze --format json "$tmp/name.dmp"
expect_status 0
survives "long non-ASCII module name"
json_ok "long non-ASCII module name"
has "$out" '"bucket":"ACCESS_VIOLATION_c0000005_é'

# A module name holding an ESC sequence and a newline: printed as '?', so a
# dump cannot drive the terminal or forge output lines.
python3 "$corrupt" "$dump2" "$tmp/esc.dmp" 'module.1.name=C:\\x\x1b[2J\nevil.dll'
run -c 'lmv m x*' "$tmp/esc.dmp"
expect_status 0
survives "control characters in a module name"
has_line "$out" "    Image path: C:\\x?[2J?evil.dll"
lacks "$out" $'\e'

# 1024 fake NT heaps whose lists loop short of their heads: !heap -s
# followed a million links per list, two billion in all (minutes). The
# reader's budget for all heaps bounds it.
firefox=$(corpus mozilla-services__minidump-stackwalk/pgo_data__minidumps__windows-x86.dmp.DECOMPRESSED.dmp)
if [ -f "$firefox" ]; then
    python3 "$corrupt" "$firefox" "$tmp/heaps.dmp" heaps.loop=1024
    bounded "!heap -s over looping heap lists" -c '!heap -s' "$tmp/heaps.dmp"
    expect_status 0
    survives "looping heap lists"
    has_re "$out" '^PEB at 050cc000: NumberOfHeaps 1024, ProcessHeaps [0-9a-f]{8}, ProcessHeap 04fa0000$'
    [ "$(count_re "$out" '^[0-9a-f]{8} [0-9a-f]{8} ')" -ge 1000 ] || fail "the fake heaps are not listed"
    rm -f "$tmp/heaps.dmp"

    # 30,000 critical sections on a lock list that loops back to its first
    # one: the walk goes on to its cap of 200,000 records, and each one found
    # was looked up in the list of those found so far (seconds).
    python3 "$corrupt" "$firefox" "$tmp/locks.dmp" locks.loop=30000
    bounded "!locks -v over a looping lock list" -c '!locks -v' "$tmp/locks.dmp"
    expect_status 0
    survives "looping lock list"
    has_line "$out" "Scanned 200001 critical sections"
    [ "$(count_re "$out" '^CritSec ')" = 30001 ] || fail "!locks -v does not list each critical section once"
    rm -f "$tmp/locks.dmp"
fi

# 40,000 modules and 40,000 captured ranges (no MemoryInfoList): building
# !address's map tested every range against every module (seconds).
python3 "$corrupt" "$dump2" "$tmp/many.dmp" modules.count=40000 memory.count=40000
bounded "!address over 40,000 modules and ranges" -c '!address -summary; !address 50000000' "$tmp/many.dmp"
expect_status 0
survives "many modules and ranges"
has_re "$out" '^Image +40000 +'
has_re "$out" '^<unknown> +40000 +'
rm -f "$tmp/many.dmp"

# 40,000 threads, each with a ThreadInfoList entry and a name: threads were
# found by id with a scan of the list, once per thread (at open for the
# names, in ~ for the exception's thread, in !runaway for the times).
python3 "$corrupt" "$dump2" "$tmp/threads.dmp" threads.count=40000
bounded "~ and !runaway over 40,000 threads" -c '|; ~; !runaway 7' "$tmp/threads.dmp"
expect_status 0
survives "many threads"
has_line "$out" ' 39999  Id: f5c.19c3f Suspend: 0 Teb: 7ffdf000 Unfrozen "worker"'
has_line "$out" "39999:19c3f     0 days 0:00:39.999"
rm -f "$tmp/threads.dmp"

# 50,000 handles, each of its own type: the per-type table searched itself
# for every handle (seconds).
python3 "$corrupt" "$dump2" "$tmp/handles.dmp" handles.types=50000
bounded "!handle over 50,000 handle types" -c '!handle' "$tmp/handles.dmp"
expect_status 0
survives "many handle types"
has_line "$out" "50000 Handles"
has_line "$out" "$(printf '%-15s\t%s' T0 1)"
has_line "$out" "$(printf '%-15s\t%s' T49999 1)"
rm -f "$tmp/handles.dmp"

finish
