# !analyze -v: the crash verdict on lab crash dumps (facts known by
# construction: the code, thread, faulting function, access and address,
# the recursion, the exception's chance as the capture tool recorded it in
# the dump's comment), on Breakpad's minidump2 with its .sym files (the
# frames minidump_stackwalk prints), and on the fail-fast corpus dump.
. "$(dirname "$0")/lib.sh"
: "${COR_LAB:=}"
fact() { sed -n "s/^$1=//p" "$2" | head -1; }
class_of() {
    case $1 in
    0xc0000005) echo ACCESS_VIOLATION ;;
    0xc00000fd) echo STACK_OVERFLOW ;;
    0xe06d7363) echo CPP_EH_EXCEPTION ;;
    *) echo UNKNOWN ;;
    esac
}

shopt -s nullglob
checked=0
for f in "${COR_LAB:-/nonexistent}"/*.facts; do
    code=$(fact exception.code "$f")
    [ -n "$code" ] || continue
    dump=${f%.facts}.dmp
    exe=$(fact exe "$f")
    func=$(fact exception.func "$f")
    tid=$(fact exception.tid "$f")
    run -y "$(dirname "$f")/bin" -c "!analyze -v" "$dump"
    expect_status 0
    has_line "$out" "$(printf 'EXCEPTION_CODE_STR:  %08x' "$code")"
    has_line "$out" "$(printf 'FAULTING_THREAD:  %08x' "$tid")"
    has_line "$out" "EXCEPTION_CHANCE:  $(fact exception.chance "$f")"
    has_line "$out" "FAILURE_BUCKET_ID:  $(class_of "$code")_${code#0x}_$exe!$func"
    has_re "$out" "^SYMBOL_NAME:  ${exe%.*}!$func\\+[0-9a-f]+\$"
    has_re "$out" '^FAULTING_SOURCE_FILE:  .*\.c$'
    has_re "$out" '^FAULTING_SOURCE_LINE_NUMBER:  [1-9][0-9]*$'
    # The faulting instruction, disassembled under FAULTING_IP.
    has_re "$out" '^[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]+ +[a-z]+( |$)'
    access=$(fact exception.access "$f")
    if [ -n "$access" ]; then
        target=$(fact exception.target "$f")
        up=$(tr a-z A-Z <<<"$access")
        has_line "$out" "$(printf '%s_ADDRESS:  %016x' "$up" "$target")"
        has_line "$out" "$(printf 'Attempt to %s to address %016x' "$access" "$target")"
    fi
    cpp=$(fact exception.cpp_type "$f")
    if [ -n "$cpp" ]; then
        # The thrown type, read from the ThrowInfo the exception points at.
        has_line "$out" "CPP_EXCEPTION_TYPE:  $cpp"
        has_line "$out" "EXCEPTION_DESCRIPTION:  A C++ exception of type $cpp was thrown and nothing caught it."
        has_line "$out" "Magic: 19930520"
    fi
    rep=$(fact overflow.repeated "$f")
    if [ -n "$rep" ]; then
        # One turn of the recursion, then the frames below it, in order.
        line=$(grep -E "^RECURSION:  $exe!$rep, [0-9]+ times" <<<"$out") || fail "no RECURSION line for $rep"
        n=$(sed -E 's/.*, ([0-9]+) times.*/\1/' <<<"$line")
        # A 1 MB stack holds thousands of frames padded with a few hundred bytes.
        [ "$n" -ge 1000 ] || fail "recursion of $n frames"
        has_re "$out" '^\.\.\.  \(the 1 frame above repeats [0-9]+ times'
        bottom=$(sed -n '/^\.\.\.  (the/,/^$/p' <<<"$out")
        IFS=',' read -ra fns <<<"$(fact overflow.bottom "$f")"
        prev=0
        for fn in "${fns[@]}"; do
            at=$(grep -n "!$fn+" <<<"$bottom" | head -1 | cut -d: -f1)
            [ -n "$at" ] && [ "$at" -gt "$prev" ] || fail "$fn is not below the recursion in order"
            prev=$at
        done
        has_line "$out" "EXCEPTION_DESCRIPTION:  The thread ran out of stack: $exe!$rep repeats $n times (unbounded recursion)."
    fi
    checked=$((checked + 1))
done
if [ -n "${COR_LAB_REQUIRED:-}" ]; then [ "$checked" -ge 3 ] || fail "only $checked lab crash dumps"; fi

# coroner analyze: the crash section and every thread's stack, in JSON
# (docs/json.md) and text, against the same facts.
for f in "${COR_LAB:-/nonexistent}"/*.facts; do
    dump=${f%.facts}.dmp
    bin=$(dirname "$f")/bin
    imgs=()
    [[ $dump == *_mp.dmp ]] && imgs=(-i "$bin;$(ls -d /usr/lib/*/wine/x86_64-windows | head -1)")
    json=$("$COR_BIN" analyze -y "$bin" "${imgs[@]}" --format json "$dump") || fail "analyze --format json failed on $dump"
    python3 - "$f" 3<<<"$json" <<'PY' || fail "analyze JSON disagrees with $f"
import json, sys
facts = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
import os
d = json.load(os.fdopen(3))
threads = {t["thread_id"]: t for t in d["threads"]}
assert len(d["threads"]) == d["process"]["threads"], "one stack per thread"
exe = facts["exe"]
for key, chain in facts.items():
    if not key.startswith("stack."):
        continue
    role = key[6:]
    tid = int(facts.get("tid." + role, facts.get("exception.tid")))
    t = threads[tid]
    fns = [f["function"] for f in t["frames"]]
    want = chain.split(",")
    k = 0
    for fn in fns:
        if k < len(want) and fn == want[k]:
            k += 1
    assert k == len(want), f"thread {tid}: {want} not in order in {fns}"
    for fr in t["frames"]:
        if fr["function"] in want:
            assert fr["file"].endswith(".c") and fr["line"] > 0, fr
    assert fns[-1] == "RtlUserThreadStart", f"thread {tid} ends at {fns[-1]}"
    assert t["frames"][0]["trust"] == "context"
    assert all(f["trust"] in ("cfi", "frame_pointer", "scan", "cfi_scan") for f in t["frames"][1:])
    assert t["frame_count"] >= len(t["frames"])
c = d["crash"]
if "exception.code" in facts:
    code = int(facts["exception.code"], 16)
    assert int(c["code"], 16) == code
    assert c["thread_id"] == int(facts["exception.tid"])
    assert c["faulting_frame"]["function"] == facts["exception.func"], c["faulting_frame"]
    assert c["bucket"].endswith("_%08x_%s!%s" % (code, exe, facts["exception.func"])), c["bucket"]
    assert c["chance"] == facts["exception.chance"]
    assert c["cpp_type"] == facts.get("exception.cpp_type"), c["cpp_type"]
    if "exception.access" in facts:
        assert c["access"] == facts["exception.access"]
        assert int(c["access_address"], 16) == int(facts["exception.target"], 16)
    if "overflow.repeated" in facts:
        assert c["recursion"]["functions"] == exe + "!" + facts["overflow.repeated"]
        t = threads[int(facts["exception.tid"])]
        assert t["frame_count"] > c["recursion"]["repeats"] >= 1000
        assert t["frames"][-1]["frame"] == t["frame_count"] - 1
else:
    assert c is None
PY
    run analyze -y "$bin" "${imgs[@]}" "$dump"
    has_line "$out" "Threads"
    [ "$(count_re "$out" '^  ~[0-9]+  tid ')" = "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["threads"]))' <<<"$json")" ] ||
        fail "text report: not one stack per thread"
    code=$(fact exception.code "$f")
    if [ -n "$code" ]; then
        has_re "$out" "^  Bucket        $(class_of "$code")_${code#0x}_$(fact exe "$f")!$(fact exception.func "$f")\$"
        has_line "$out" "  Chance        $(fact exception.chance "$f") chance"
    fi
done

# A hang dump has no verdict to give.
if [ -f "${COR_LAB:-/nonexistent}/hang_locks.dmp" ]; then
    run -c "!analyze -v" "$COR_LAB/hang_locks.dmp"
    has "$out" "The dump has no exception record"
    lacks "$out" "FAILURE_BUCKET_ID"
fi

# minidump2 (x86): Breakpad names the crash a write access violation at
# 0x45 in `anonymous namespace'::CrashFunction, called from main.
dump=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
app=$(corpus google__breakpad/src__processor__testdata__symbols__test_app.pdb__5A9832E5287241C1838ED98914E9B7FF1__test_app.sym)
k32=$(corpus google__breakpad/src__processor__testdata__symbols__kernel32.pdb__BCE8785C57B44245A669896B6A19B9542__kernel32.sym)
walk=$(corpus google__breakpad/src__processor__testdata__minidump2.stackwalk.out)
need "$dump" "$app" "$k32" "$walk"
syms=$(mktemp -d)
trap 'rm -rf "$syms"' EXIT
mkdir -p "$syms/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1" "$syms/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542"
cp "$app" "$syms/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
cp "$k32" "$syms/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym"
run -y "$syms" -c "!analyze -v" "$dump"
expect_status 0
grep -q "EXCEPTION_ACCESS_VIOLATION_WRITE" "$walk" || fail "Breakpad's verdict changed"
has_line "$out" "WRITE_ADDRESS:  00000045"
has_line "$out" "FAILURE_BUCKET_ID:  ACCESS_VIOLATION_c0000005_test_app.exe!\`anonymous namespace'::CrashFunction"
has_line "$out" "EXCEPTION_CHANCE:  unknown (the dump does not say)"
# STACK_TEXT: Breakpad's four functions, in its order.
mapfile -t want < <(sed -nE 's/^ [0-9]+  [a-z0-9_]+\.[a-z]+!(.*) \[.*/\1/p; s/^ [0-9]+  [a-z0-9_]+\.[a-z]+!(.*) \+ 0x[0-9a-f]+$/\1/p' "$walk")
[ "${#want[@]}" = 4 ] || fail "Breakpad lists ${#want[@]} named frames"
st=$(sed -n '/^STACK_TEXT:/,/^$/p' <<<"$out")
for i in 0 1 2 3; do
    got=$(sed -n "$((i + 2))p" <<<"$st")
    grep -qF -- "!${want[$i]}+" <<<"$got" || fail "STACK_TEXT frame $i: '$got', Breakpad: ${want[$i]}"
done

# The fail-fast dump: the subcode by name, blamed outside system modules.
dump=$(corpus google__breakpad/src__processor__testdata__tiny-exe-fastfail.dmp)
need "$dump"
run -c ".exr -1; !analyze -v" "$dump"
expect_status 0
sub=$(sed -nE 's/^Subcode: 0x([0-9a-f]+) (FAST_FAIL_[A-Z_]+)$/\1 \2/p' <<<"$out" | head -1)
[ -n "$sub" ] || fail "no fail-fast subcode name in .exr"
has_line "$out" "$(printf 'FAST_FAIL_CODE:  %d (%s)' "0x${sub% *}" "${sub#* }")"
has_re "$out" '^FAILURE_BUCKET_ID:  STACK_BUFFER_OVERRUN_c0000409_tiny\.exe!'
finish
