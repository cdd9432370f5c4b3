# !handle against the HandleData stream, read a second time by
# stream_totals.py: every handle in order with its type (and with `0 f` its
# attributes, access, counts and name), the "N Handles" total and the count
# per type, which must add up to the stream's. On Breakpad's
# tiny-exe-with-cet-xsave.dmp (Windows 11, 147 handles, some without a type)
# and on every lab dump; hang_locks' named event (facts event.name and
# event.handle) must show with its name.
. "$(dirname "$0")/lib.sh"
tiny=$(corpus google__breakpad/src__processor__testdata__tiny-exe-with-cet-xsave.dmp)
plain=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
need "$tiny" "$plain"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
totals="$COR_SRC/tests/cli/stream_totals.py"

check_totals() { # DUMP
    local cmd
    for cmd in '!handle' '!handle 0 f'; do
        run -c "$cmd" "$1"
        expect_status 0
        python3 "$totals" handle "$1" <<<"$out" || fail "$cmd disagrees with $(basename "$1")'s HandleData"
    done
}

check_totals "$tiny"
run -c '!handle' "$tiny"
has_line "$out" "Handle 0000000000000004"
has_line "$out" "$(printf '  Type         \tFile')"
has_line "$out" "147 Handles"
has_line "$out" "$(printf 'Type           \tCount')"
has_re "$out" "$(printf '^None           \t[0-9]+$')"
# One handle in full: access decoded as WinDbg does for a file.
run -c '!handle 4 f' "$tiny"
[ "$(count_re "$out" '^Handle ')" = 1 ] || fail "!handle 4 f shows more than handle 4"
has_line "$out" "$(printf '  GrantedAccess\t0x12019f:')"
has_line "$out" "         ReadControl,Synch"
has_line "$out" "         Read/List,Write/Add,Append/SubDir/CreatePipe,ReadEA,WriteEA,ReadAttr,WriteAttr"
has_line "$out" "$(printf '  Name         \t<none>')"
has_line "$out" "  No object specific information available"
lacks "$out" "Handles"
# The type filter: as many handles as the per-type table counts.
run -c '!handle' "$tiny"
sections=$(awk -F'\t' '$1 ~ /^Section +$/ {print $2}' <<<"$out")
run -c '!handle 0 1 Section' "$tiny"
[ "$(count_re "$out" '^Handle ')" = "$sections" ] || fail "!handle 0 1 Section: not $sections handles"
has_line "$out" "$sections Handles"
run -c '!handle 3' "$tiny"
has_line "$out" "Handle 0000000000000003 is not in the dump's handle data"

run -c '!handle' "$plain"
has "$out" "The dump has no handle data: it has no HandleData stream"

shopt -s nullglob
lab_checked=0
for facts in "${COR_LAB:-/nonexistent}"/*.facts; do
    dump=${facts%.facts}.dmp
    [ -f "$dump" ] || continue
    check_totals "$dump"
    lab_checked=$((lab_checked + 1))
    name=$(sed -n 's/^event\.name=//p' "$facts")
    handle=$(sed -n 's/^event\.handle=//p' "$facts")
    [ -n "$name" ] || continue
    # Local\X is \Sessions\N\BaseNamedObjects\X in the object namespace.
    base=${name#Local\\}
    run -c '!handle 0 f' "$dump"
    block=$(awk -v h="$(printf 'Handle %016x' "$handle")" '$0 == h {p = 1; print; next} /^Handle / {p = 0} p' <<<"$out")
    has_line "$block" "$(printf '  Type         \tEvent')"
    has_re "$block" "$(printf '^  Name         \t\\\\Sessions\\\\[0-9]+\\\\BaseNamedObjects\\\\%s$' "$base")"
    run -c "!handle $handle f" "$dump"
    [ "$(count_re "$out" '^Handle ')" = 1 ] || fail "!handle $handle f shows more than one handle"
    has "$out" "BaseNamedObjects\\$base"
    run -c '!handle 0 4 Event' "$dump"
    has "$out" "BaseNamedObjects\\$base"
    lacks "$out" "$(printf '\tThread')"
done
[ "$lab_checked" -gt 0 ] || echo "note: no lab dumps in ${COR_LAB:-(COR_LAB unset)}; lab checks skipped"
[ "$lab_checked" -gt 0 ] || [ -z "${COR_LAB_REQUIRED:-}" ] || fail "lab dumps required"
finish
