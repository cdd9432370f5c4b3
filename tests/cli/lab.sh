# Lab dumps (tests/lab: Windows programs run under Wine, dumped by the
# lab's capture tool) against the facts each scenario wrote about itself
# (tests/lab/README.md lists the keys): the process id, the image base and
# command line the PEB must show, every thread's id and name, the
# exception, the overflowed stack's base. Skipped (77) when the lab has not
# been built, unless COR_LAB_REQUIRED is set.
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
checked=0
for f in "${facts[@]}"; do
    dump=${f%.facts}.dmp
    [ -f "$dump" ] || continue
    pid=$(fact pid "$f")
    base=$(fact image_base "$f")
    exe=$(fact exe "$f")
    run -c "|; ~; !peb; lm" "$dump"
    expect_status 0
    has_re "$out" "$(printf '^\\.  0\tid: %x\texamine\tname: .*\\\\%s$' "$pid" "$exe")"
    has_line "$out" "$(printf '    ImageBaseAddress:         %016x' "$base")"
    printf -v re '^%08x`%08x [0-9a-f]{8}`[0-9a-f]{8}   %-8s   \\(deferred\\)$' $((base >> 32)) $((base & 0xffffffff)) "${exe%.*}"
    has_re "$out" "$re"
    # Every thread role: its id in ~, with the name the scenario gave it.
    while IFS='=' read -r key tid; do
        role=${key#tid.}
        name=$(fact "thread_name.$role" "$f")
        printf -v re '^[.# ] *[0-9]+  Id: %x\\.%x Suspend: [0-9]+ Teb: [0-9a-f]{8}`[0-9a-f]{8} Unfrozen' "$pid" "$tid"
        [ -n "$name" ] && re+=" \"$name\"\$"
        has_re "$out" "$re"
    done < <(grep '^tid\.' "$f")
    cmdline=$(fact cmdline "$f")
    [ -n "$cmdline" ] && has_line "$out" "    CommandLine:  '$cmdline'"
    engine_base=$(fact module.engine.base "$f")
    [ -n "$engine_base" ] && has_re "$out" "$(printf '^%08x`%08x ' $((engine_base >> 32)) $((engine_base & 0xffffffff)))"

    # The crash scenarios: the exception record, and the thread it names.
    code=$(fact exception.code "$f")
    if [ -n "$code" ]; then
        etid=$(fact exception.tid "$f")
        run -c ".exr -1; ~#; !teb" "$dump"
        has_re "$out" "$(printf '^   ExceptionCode: %08x ' "$code")"
        has_re "$out" "$(printf '^[.#]  *[0-9]+  Id: %x\\.%x ' "$pid" "$etid")"
        target=$(fact exception.target "$f")
        [ -n "$target" ] && has_line "$out" "$(printf 'Attempt to %s address %016x' \
            "$([ "$(fact exception.access "$f")" = write ] && echo "write to" || echo "read from")" "$target")"
        stack_base=$(fact overflow.stack_base "$f")
        [ -n "$stack_base" ] && has_line "$out" "$(printf '    StackBase:            %016x' "$stack_base")"
        # A write fault: under the registers, the faulting instruction is a
        # store through a register, at the exception address.
        if [ "$(fact exception.access "$f")" = write ]; then
            run -c ".ecxr" "$dump"
            has_re "$out" '^[0-9a-f`]+ [0-9a-f]+ +mov +dword ptr \[[a-z0-9]+\],'
        fi
    fi
    checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || skip "lab facts without dumps in $COR_LAB"

# The small w3wp dump holds no image pages: the image path (cdb -i) serves
# them from the lab's own w3wp.exe, which matches by timestamp and size.
mp=$COR_LAB/w3wp_hang_mp.dmp
if [ -f "$mp" ] && [ -f "$COR_LAB/bin/w3wp.exe" ]; then
    base=$(fact image_base "$COR_LAB/w3wp_hang_mp.facts")
    run -c "db $(printf '%x' "$base") L10" "$mp"
    has "$out" " ?? ?? ?? ??"
    run -i "$COR_LAB/bin" -c "db $(printf '%x' "$base") L10" "$mp"
    has_re "$out" '^00000001`40000000  4d 5a '
    run -c ".exepath $COR_LAB/bin; db $(printf '%x' "$base") L2" "$mp"
    has "$out" "Executable image search path is: $COR_LAB/bin"
    has_re "$out" '  4d 5a  +MZ$'
fi
finish
