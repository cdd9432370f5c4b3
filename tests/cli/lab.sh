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

# PDB symbols: every function the scenarios name (sym.NAME=address in the
# facts) resolves by name and by address, with its source file and line,
# from the lld-made PDBs beside the programs (-y, a flat directory).
for f in "$COR_LAB"/*.facts; do
    dump=${f%.facts}.dmp
    [ -f "$dump" ] || continue
    exe=$(fact exe "$f"); mod=${exe%.exe}
    base=$(( $(fact image_base "$f") ))
    # Functions of the program itself also resolve as module!name; the
    # facts also name functions in the lab's DLLs (w3tp.dll).
    in_exe() { [ $(( $1 )) -ge "$base" ] && [ $(( $1 )) -lt $((base + 0x1000000)) ]; }
    cmds=""
    while IFS='=' read -r key addr; do
        cmds+="ln $addr; "
        in_exe "$addr" && cmds+="? $mod!${key#sym.}; "
    done < <(grep '^sym\.' "$f")
    [ -n "$cmds" ] || continue
    run -y "$COR_LAB/bin" -c "${cmds}lm m $mod" "$dump"
    has_re "$out" "$mod +\(pdb symbols\)  .*$mod.pdb\$"
    while IFS='=' read -r key addr; do
        name=${key#sym.}
        has_re "$out" "^\([0-9a-f\`]+\)   [a-z0-9_]+!$name(   \|.*)?\$"
        has_re "$out" "^    [a-z0-9_]+!$name\$"
        if in_exe "$addr"; then
            hex=$(printf '%016x' "$addr")
            has_line "$out" "Evaluate expression: $((addr)) = ${hex:0:8}\`${hex:8}"
        fi
    done < <(grep '^sym\.' "$f")
    has_re "$out" "^    \[.*tests/lab/[a-z0-9_]+\.c @ [0-9]+\]\$"
done

# A PDB whose GUID and age differ from the module's is refused, and
# accepted after .reload /i, as WinDbg does.
if [ -f "$COR_LAB/hang_locks.dmp" ] && [ -f "$COR_LAB/bin/crash_av.pdb" ]; then
    mm=$(mktemp -d)
    cp "$COR_LAB/bin/crash_av.pdb" "$mm/hang_locks.pdb"
    run -y "$mm" -c "!lmi hang_locks; .reload /i hang_locks; lm m hang_locks" "$COR_LAB/hang_locks.dmp"
    has_re "$out" "Load Report: .*hang_locks.pdb does not match hang_locks.exe \(GUID or age differs\): refused"
    has_re "$out" "hang_locks +\(pdb symbols\)  $mm/hang_locks.pdb\$"
    rm -rf "$mm"
fi

# dbghelp's older directory layout, DIR/symbols/EXT/name.pdb, is searched too.
if [ -f "$COR_LAB/crash_av.dmp" ]; then
    old=$(mktemp -d)
    mkdir -p "$old/symbols/exe"
    cp "$COR_LAB/bin/crash_av.pdb" "$old/symbols/exe/"
    run -y "$old" -c "ln $(fact sym.lab_level2 "$COR_LAB/crash_av.facts"); lm m crash_av" "$COR_LAB/crash_av.dmp"
    has_line "$out" "    crash_av!lab_level2"
    has_re "$out" "crash_av +\(pdb symbols\)  $old/symbols/exe/crash_av.pdb\$"
    rm -rf "$old"
fi

# uf: lab_level2 calls lab_level3_write_null, by construction, and returns.
if [ -f "$COR_LAB/crash_av.dmp" ]; then
    run -y "$COR_LAB/bin" -c "uf crash_av!lab_level2" "$COR_LAB/crash_av.dmp"
    has_line "$out" "crash_av!lab_level2:"
    has_re "$out" ' call +crash_av!lab_level3_write_null \([0-9a-f`]+\)$'
    has_re "$out" ' ret$'
fi

# Export symbols: the full-memory dumps hold kernel32's image, so its
# export table names addresses and resolves module!name expressions.
hl=$COR_LAB/hang_locks.dmp
if [ -f "$hl" ]; then
    run -c "? kernel32!Sleep; ln kernel32!Sleep+4; lm m kernel32; x kernel32!SleepEx" "$hl"
    sleep_addr=$(sed -n 's/^Evaluate expression: [0-9]* = //p' <<<"$out")
    [ -n "$sleep_addr" ] || fail "kernel32!Sleep did not resolve"
    has_re "$out" "^\($sleep_addr\)   kernel32!Sleep\+0x4"
    has_re "$out" 'kernel32 +\(export symbols\)  kernel32.dll$'
    has_re "$out" '^[0-9a-f`]+ kernel32!SleepEx$'
    # C++ exports are decorated; addresses name them undecorated, as WinDbg does.
    run -c 'x msvcrt!??0exception@@*' "$hl"
    ctor=$(grep -m1 -oE '^[0-9a-f`]+ msvcrt!\?\?0exception@@' <<<"$out" | cut -d' ' -f1)
    if [ -n "$ctor" ]; then
        run -c "ln $ctor" "$hl"
        has_re "$out" '^\([0-9a-f`]+\)   msvcrt!exception::exception'
    else
        fail "msvcrt exports no exception constructor"
    fi
fi

# The small w3wp dump holds no image pages, so no export table: a symbol
# store holding kernel32.dll under its image key (TimeDateStamp, SizeOfImage)
# supplies it, and kernel32!Sleep lands where the full dump of the same
# process has it.
mp=$COR_LAB/w3wp_hang_mp.dmp
k32=$(find "$COR_LAB/wineprefix" -ipath '*/system32/kernel32.dll' 2>/dev/null | head -1)
if [ -f "$mp" ] && [ -n "$k32" ]; then
    run -c "lmv m kernel32; ? kernel32!Sleep" "$COR_LAB/w3wp_hang.dmp"
    full=$(sed -n 's/^Evaluate expression: [0-9]* = //p' <<<"$out")
    ts=$(sed -n 's/.*Timestamp: .*(\([0-9A-F]\{8\}\)).*/\1/p' <<<"$out")
    size=$(sed -n 's/.*ImageSize: *\([0-9A-Fa-f]*\).*/\1/p' <<<"$out")
    key=$(printf '%s%x' "$ts" "0x$size")
    store=$(mktemp -d)
    mkdir -p "$store/kernel32.dll/$key"
    cp "$k32" "$store/kernel32.dll/$key/kernel32.dll"
    run -y "srv*$store" -c "? kernel32!Sleep; lm m kernel32" "$mp"
    has_line "$out" "Evaluate expression: $(( 0x${full//\`/} )) = $full"
    has_re "$out" "kernel32 +\(export symbols\)  $store/kernel32.dll/$key/kernel32.dll\$"
    rm -rf "$store"
fi

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
