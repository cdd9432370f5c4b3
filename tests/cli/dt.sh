# dt on the lab's hang_locks dump with its PDB (tests/lab): the layout of
# the lab's own struct and of RTL_CRITICAL_SECTION, and the values of the
# two critical sections the scenario recorded (hang_locks.facts: their
# addresses and owning thread ids). Skipped (77) without the lab.
. "$(dirname "$0")/lib.sh"
: "${COR_LAB:=}"
dump="${COR_LAB:-/nonexistent}/hang_locks.dmp"
facts="${COR_LAB:-/nonexistent}/hang_locks.facts"
pdbdir="${COR_LAB:-/nonexistent}/bin"
if [ ! -f "$dump" ] || [ ! -f "$facts" ] || [ ! -f "$pdbdir/hang_locks.pdb" ]; then
    echo "SKIP: lab hang_locks dump or PDB missing"
    [ -n "${COR_LAB_REQUIRED:-}" ] && exit 1
    exit 77
fi
fact() { sed -n "s/^$1=//p" "$facts" | head -1; }

run -y "$pdbdir" -c "dt hang_locks!lab_deadlock; dt lab_facts" "$dump"
expect_status 0
has_line "$out" "   +0x000 first            : Ptr64 _RTL_CRITICAL_SECTION"
has_line "$out" "   +0x008 second           : Ptr64 _RTL_CRITICAL_SECTION"
has_line "$out" "   +0x010 a_has_first      : Ptr64 Void"
has_line "$out" "   +0x018 b_has_second     : Ptr64 Void"
has_line "$out" "   +0x000 name             : [64] Char"
has_line "$out" "   +0x040 file             : Ptr64 _iobuf"

for cs in cs1 cs2; do
    addr=$(fact "cs.$cs")
    owner=$(fact "cs.$cs.owner")
    run -y "$pdbdir" -c "dt hang_locks!_RTL_CRITICAL_SECTION $addr" "$dump"
    expect_status 0
    has_re "$out" '^   \+0x000 DebugInfo        : 0x[0-9a-f]{8}`[0-9a-f]{8}$'
    has_line "$out" "   +0x00c RecursionCount   : 0n1"
    has_line "$out" "$(printf '   +0x010 OwningThread     : 0x00000000`%08x' "$owner")"
    has_line "$out" "   +0x020 SpinCount        : 0x0"
done

# dt -r follows DebugInfo to the RTL_CRITICAL_SECTION_DEBUG, whose
# CriticalSection field points back at the critical section itself; the
# nested lines indent by three.
for cs in cs1 cs2; do
    addr=$(fact "cs.$cs")
    run -y "$pdbdir" -c "dt -r hang_locks!_RTL_CRITICAL_SECTION $addr" "$dump"
    has_line "$out" "$(printf '      +0x008 CriticalSection  : 0x%08x`%08x' $((addr >> 32)) $((addr & 0xffffffff)))"
    has_line "$out" "   +0x00c RecursionCount   : 0n1"
done
# -v describes each type as WinDbg's verbose mode does (lab.h: four
# pointers; RTL_CRITICAL_SECTION: six members, 0x28 bytes on x64); -a2
# lists the first two elements of lab_facts.name[64].
run -y "$pdbdir" -c "dt -v hang_locks!lab_deadlock; dt -a2 hang_locks!lab_facts" "$dump"
expect_status 0
has_line "$out" "struct lab_deadlock, 4 elements, 0x20 bytes"
has_line "$out" "   +0x000 first            : Ptr64 to struct _RTL_CRITICAL_SECTION, 6 elements, 0x28 bytes"
has_line "$out" "   +0x018 b_has_second     : Ptr64 to Void"
has_line "$out" "   +0x000 name             : [64] Char"
has_line "$out" "    [00] Char"
has_line "$out" "    [01] Char"
lacks "$out" "[02]"

run -y "$pdbdir" -c "dt -q hang_locks!lab_deadlock" "$dump"
has "$out$err" "dt: unknown option '-q'"

run -y "$pdbdir" -c "dt hang_locks!NoSuchType; dt nosuchmodule!lab_deadlock" "$dump"
has_line "$out$err" "Symbol hang_locks!NoSuchType not found."
has "$out$err" "Couldn't resolve error at 'nosuchmodule!lab_deadlock'"
finish
