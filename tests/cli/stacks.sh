# Native stacks (k, ~*k, .frame, .cxr) on the lab dumps, against the facts
# each scenario wrote about itself: for every thread role with a known
# call chain (stack.ROLE=innermost,...,outermost), the walk shows those
# functions in that order, each with its file and line from the lld PDB,
# and goes on to the thread's start (kernel32!BaseThreadInitThunk, then
# ntdll!RtlUserThreadStart, as on Windows). Skipped (77) when the lab has
# not been built, unless COR_LAB_REQUIRED is set.
. "$(dirname "$0")/lib.sh"
: "${COR_LAB:=}"
skip() {
    echo "SKIP: $1"
    [ -n "${COR_LAB_REQUIRED:-}" ] && exit 1
    exit 77
}
shopt -s nullglob
facts=("${COR_LAB:-/nonexistent}"/*.facts)
[ "${#facts[@]}" -gt 0 ] || skip "no lab dumps in ${COR_LAB:-(COR_LAB unset)}"
fact() { sed -n "s/^$1=//p" "$2" | head -1; }

# The function names of kn output's call sites, one per line.
call_sites() { sed -nE 's/^[0-9a-f]{2,4} [0-9a-f`]+ [0-9a-f`]+ +([A-Za-z0-9_]+)!([^+ ]+).*/\1!\2/p' <<<"$1"; }

# want: comma-separated functions, innermost first, in any module; each
# must appear in order (other frames may come between: recursion, waits).
in_order() {
    local sites=$1 want=$2
    awk -v want="$want" '
        BEGIN { n = split(want, w, ","); k = 1 }
        { sub(/^[^!]*!/, "") }
        k <= n && $0 == w[k] { k++ }
        END { exit k <= n ? 1 : 0 }' <<<"$sites"
}

# Wine's own PE builds of ntdll, kernel32...: a -mp dump holds no image
# memory, so unwind data comes from image files, as with cdb -i.
winedlls=$(ls -d /usr/lib/*/wine/x86_64-windows 2>/dev/null | head -1)

checked=0
for f in "${facts[@]}"; do
    dump=${f%.facts}.dmp
    [ -f "$dump" ] || continue
    exe=$(fact exe "$f")
    mod=${exe%.*}
    etid=$(fact exception.tid "$f")
    bin=$(dirname "$f")/bin
    while IFS='=' read -r key chain; do
        role=${key#stack.}
        tid=$(fact "tid.$role" "$f")
        [ -z "$tid" ] && tid=$etid
        [ -n "$tid" ] || fail "$f: no thread for stack.$role"
        cmd=$(printf '~~[%x]s; kn ffff' "$tid")
        [ "$tid" = "$etid" ] && cmd=$(printf '~~[%x]s; .ecxr; kn ffff' "$tid")
        case $dump in
        *_mp.dmp) run -y "$bin" -i "$bin;$winedlls" -c "$cmd" "$dump" ;;
        *) run -y "$bin" -c "$cmd" "$dump" ;;
        esac
        expect_status 0
        sites=$(call_sites "$out")
        in_order "$sites" "$chain" || fail "$f: thread $tid ($role) lacks $chain in order:
$sites"
        # Each known function's frame carries its source line.
        IFS=',' read -ra fns <<<"$chain"
        for fn in "${fns[@]}"; do
            has_re "$out" " [A-Za-z0-9_]+!$fn\\+0x[0-9a-f]+ \\[.*\\.c @ [0-9]+\\]\$"
        done
        # ... and the walk reaches the thread's start.
        last=$(tail -n 2 <<<"$sites")
        [ "$last" = $'kernel32!BaseThreadInitThunk\nntdll!RtlUserThreadStart' ] ||
            fail "$f: thread $tid ($role) does not end at its start: $last"
        checked=$((checked + 1))
    done < <(grep '^stack\.' "$f")
done
[ "$checked" -ge 4 ] || fail "only $checked lab stacks checked"

# ~*k: one stack per thread, each ending at the thread start.
f=${COR_LAB}/hang_locks.facts
if [ -f "$f" ]; then
    run -y "$COR_LAB/bin" -c "~*k" "${f%.facts}.dmp"
    n=$(count_re "$out" '  Id: ')
    [ "$n" = "$(count_re "$out" 'ntdll!RtlUserThreadStart')" ] || fail "~*k: not every thread reaches its start"
    [ "$n" -ge 6 ] || fail "~*k shows $n threads"
    # .frame N selects and shows one frame; .frame /r adds its registers.
    tid=$(fact tid.deadlock_a "$f")
    run -y "$COR_LAB/bin" -c "$(printf '~~[%x]s; kn; .frame 4; .frame /r 4' "$tid")" "${f%.facts}.dmp"
    frame4=$(grep -E '^04 ' <<<"$out" | head -1)
    [ -n "$frame4" ] || fail "no frame 4 in kn"
    [ "$(grep -cxF -- "$frame4" <<<"$out")" = 3 ] || fail ".frame 4 does not repeat kn's frame 4"
    has_re "$out" '^rax=[0-9a-f]{16} '
    # k with a count, and kL drops source lines.
    run -y "$COR_LAB/bin" -c "$(printf '~~[%x]s; k 2; kL' "$tid")" "${f%.facts}.dmp"
    [ "$(count_re "$out" '^[0-9a-f]{8}`[0-9a-f]{8} ')" -ge 7 ] || fail "k 2 + kL frame count"
    kl=$(sed -n '/> kL$/,$p' <<<"$out")
    lacks "$kl" " @ "
fi

# A count after a blank is a count even when it reads like options:
# "k ffff" is 0xffff frames (the whole recursion), "kf 3" is frame sizes.
f=${COR_LAB}/stack_overflow.facts
if [ -f "$f" ]; then
    run -y "$COR_LAB/bin" -c "k; k ffff; kf 3" "${f%.facts}.dmp"
    k20=$(sed -n '/> k$/,/> k ffff$/p' <<<"$out")
    kall=$(sed -n '/> k ffff$/,/> kf 3$/p' <<<"$out")
    kf3=$(sed -n '/> kf 3$/,$p' <<<"$out")
    [ "$(count_re "$k20" '^[0-9a-f]{8}`[0-9a-f]{8} ')" = 20 ] || fail "k does not show 20 frames"
    [ "$(count_re "$kall" '^[0-9a-f]{8}`[0-9a-f]{8} ')" -gt 1000 ] || fail "k ffff does not show the whole recursion"
    lacks "$kall" "Memory"
    has_line "$kf3" "  Memory  Child-SP          RetAddr               Call Site"
    [ "$(count_re "$kf3" '^ +[0-9a-f]* +[0-9a-f]{8}`[0-9a-f]{8} ')" = 3 ] || fail "kf 3 does not show 3 sized frames"
    tail -n 3 <<<"$kall" | grep -q 'ntdll!RtlUserThreadStart' || fail "k ffff does not reach the thread start"
    # A 64-bit process has no x86 side: .effmach x86 is refused (Wine's
    # 32-bit TEBs beside the 64-bit ones must not pass for WoW64), and
    # .effmach keeps the dump's own machine.
    run -c ".effmach x86; .effmach; r rip" "${f%.facts}.dmp"
    has "$out" "x86 is not a machine of this target: not a 32-bit process under WoW64"
    has_line "$out" "Effective machine: x64 (AMD64)"
    has_re "$out" '^0:000> r rip$'
    has_re "$out" '^rip=[0-9a-f]{16}$'
fi

# kp: parameters from the PDB's records. lab_level3_write_null(int value)
# was called with the value it then writes (exception.value); its callers'
# parameters lived in volatile registers, gone by the time of the crash.
f=${COR_LAB}/crash_av.facts
if [ -f "$f" ]; then
    run -y "$COR_LAB/bin" -c ".ecxr; kp 3" "${f%.facts}.dmp"
    has_re "$out" "crash_av!lab_level3_write_null\\(int value = 0n$(($(fact exception.value "$f")))\\)\\+0x[0-9a-f]+ \\["
    has_re "$out" 'crash_av!lab_level2\(int value = <value unavailable>\)\+0x'
fi
f=${COR_LAB}/hang_locks.facts
if [ -f "$f" ]; then
    # A thread routine's LPVOID parameter, and no list for a module
    # without a PDB (ntdll).
    run -y "$COR_LAB/bin" -c "$(printf '~~[%x]s; kp' "$(fact tid.deadlock_a "$f")")" "${f%.facts}.dmp"
    has_re "$out" 'hang_locks!lab_deadlock_a\(void \* arg = 0x[0-9a-f]{8}`[0-9a-f]{8}\)\+0x'
    has_re "$out" ' ntdll!RtlEnterCriticalSection\+0x[0-9a-f]+$'
fi

# A small dump (-mp) holds no image pages, so no unwind data: image files
# found through the symbol path (a store keyed by TimeDateStamp and
# SizeOfImage, as symbol servers serve them) stand in, as WinDbg fetches
# images for minidumps. Every thread then unwinds to its start, as with -i.
mp=${COR_LAB}/w3wp_hang_mp.dmp
if [ -f "$mp" ]; then
    store=$(mktemp -d)
    for img in "$COR_LAB"/bin/*.exe "$COR_LAB"/bin/*.dll "$winedlls"/*.dll; do
        [ -f "$img" ] || continue
        # e_lfanew, then TimeDateStamp (+8) and SizeOfImage (+0x50) of the PE header.
        lfanew=$(od -An -tu4 -j 60 -N4 "$img" | tr -d ' ')
        ts=$(od -An -tx4 -j $((lfanew + 8)) -N4 "$img" | tr -d ' ')
        soi=$(od -An -tx4 -j $((lfanew + 0x50)) -N4 "$img" | tr -d ' ')
        name=$(basename "$img" | tr A-Z a-z)
        key=$(printf '%08X%x' "0x$ts" "0x$soi")
        mkdir -p "$store/$name/$key"
        ln -s "$img" "$store/$name/$key/$name"
    done
    run -y "$COR_LAB/bin;srv*$store" -c "~*k" "$mp"
    n=$(count_re "$out" '  Id: ')
    [ "$n" -ge 10 ] || fail "~*k on the small dump shows $n threads"
    [ "$(count_re "$out" 'ntdll!RtlUserThreadStart\+0x')" = "$n" ] ||
        fail "with images from the symbol store, not every thread of the small dump reaches its start"
    has_re "$out" ' w3wp!lab_deadlock_a\+0x[0-9a-f]+ \[.*lab\.c @ [0-9]+\]$'
    # Without them, the walk has only the stack to scan.
    run -y "$COR_LAB/bin" -c "~*k" "$mp"
    [ "$(count_re "$out" 'ntdll!RtlUserThreadStart\+0x')" = 0 ] || fail "the small dump walked without images?"
    rm -rf "$store"
fi

# .cxr ADDR: a CONTEXT record in memory. When an exception is dispatched
# the dispatcher copies the faulting CONTEXT onto the thread's stack; find
# that copy below the faulting rsp (Rip at +0xF8, Rsp at +0x98) and walk
# from it: the stack must be the one .ecxr gives.
f=${COR_LAB}/crash_av.facts
if [ -f "$f" ]; then
    d=${f%.facts}.dmp
    run -y "$COR_LAB/bin" -c ".ecxr; kn" "$d"
    rip=$(grep -oE 'rip=[0-9a-f]{16}' <<<"$out" | head -1 | cut -d= -f2)
    rsp=$(grep -oE 'rsp=[0-9a-f]{16}' <<<"$out" | head -1 | cut -d= -f2)
    ecxr_sites=$(call_sites "$out")
    run -c "dq 0x$rsp-0x4000 L0x800" "$d"
    base=
    # dq lines: ADDR  QWORD QWORD; the second qword of a line sits at ADDR+8.
    while read -r addr q1 q2; do
        for slot in 1 2; do
            q=$q1; [ $slot = 2 ] && q=$q2
            [ "$q" = "${rip:0:8}\`${rip:8:8}" ] || continue
            at=$((0x${addr//\`/} + (slot - 1) * 8))
            cand=$(printf '%x' $((at - 0xf8)))
            run -c "dq 0x$cand+0x98 L1" "$d"
            if grep -qF " ${rsp:0:8}\`${rsp:8:8}" <<<"$out"; then base=$cand; break 2; fi
        done
    done < <(grep -E '^[0-9a-f]{8}`[0-9a-f]{8}  ' <<<"$out")
    [ -n "$base" ] || fail "no CONTEXT copy found below rsp $rsp"
    run -y "$COR_LAB/bin" -c ".cxr 0x$base; kn" "$d"
    has_re "$out" "^rip=$rip rsp=$rsp "
    [ "$(call_sites "$out")" = "$ecxr_sites" ] || fail ".cxr $base walks differently from .ecxr"
fi

finish
