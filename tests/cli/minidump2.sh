# minidump2.dmp (x86, Windows XP, test_app.exe) against Breakpad's own
# readings of it: minidump_dump (.dump.out) for threads, exception and
# stack bytes, minidump_stackwalk (.stackwalk.out) for modules and the
# crashing frame's registers.
. "$(dirname "$0")/lib.sh"
dump=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
dumpout=$(corpus google__breakpad/src__processor__testdata__minidump2.dump.out)
walk=$(corpus google__breakpad/src__processor__testdata__minidump2.stackwalk.out)
need "$dump" "$dumpout" "$walk"

# lm: every module Breakpad lists, with WinDbg's exclusive end (Breakpad
# prints the last byte) and the name without its extension.
run -c "lm" "$dump"
expect_status 0
has_line "$out" "0:000> lm"
has_line "$out" "start    end        module name"
n=0
while read -r base _ last name _; do
    printf -v line '%s %08x   %-8s   (deferred)' "${base#0x}" $((last + 1)) "${name%.*}"
    has_line "$out" "$line"
    n=$((n + 1))
done < <(sed -n '/^Loaded modules:/,$p' "$walk" | grep '^0x')
[ "$n" = 13 ] || fail "Breakpad lists $n modules, expected 13"
[ "$(count_re "$out" '^[0-9a-f]{8} [0-9a-f]{8}   ')" = 13 ] || fail "lm does not list 13 modules"

# ~: each thread's id and TEB, pid from MiscInfo; thread 0 is both the
# exception thread and the current one.
pid=$(awk '/process_id/ {print $3}' "$dumpout")
mapfile -t tids < <(awk '/^  thread_id  / {print $3}' "$dumpout" | head -2)
mapfile -t tebs < <(awk '/^  teb  / {print $3}' "$dumpout")
run -c "~" "$dump"
for i in 0 1; do
    printf -v re '^[.# ] +%d  Id: %x\\.%x Suspend: [0-9]+ Teb: %08x Unfrozen$' "$i" "$pid" "${tids[$i]}" "${tebs[$i]}"
    has_re "$out" "$re"
done
has_re "$out" '^\.  0  Id: f5c\.bf4 '
has_re "$out" '^   1  Id: f5c\.11c0 '

# |: the process id and main module.
run -c "|" "$dump"
has_line "$out" "$(printf '.  0\tid: f5c\texamine\tname: c:\\test_app.exe')"

# .exr -1: the access violation writing to 0x45 at 0x40429e.
run -c ".exr -1" "$dump"
has_line "$out" "ExceptionAddress: 0040429e (test_app+0x0000429e)"
has_line "$out" "   ExceptionCode: c0000005 (Access violation)"
has_line "$out" "  ExceptionFlags: 00000000"
has_line "$out" "NumberParameters: 2"
has_line "$out" "   Parameter[0]: 00000001"
has_line "$out" "   Parameter[1]: 00000045"
has_line "$out" "Attempt to write to address 00000045"

# .ecxr; r: the registers of the crashing frame as minidump_stackwalk
# prints them (frame 0, "given as instruction pointer in context").
run -c ".ecxr; r" "$dump"
frame0=$(sed -n '/^ 0  /,/Found by/p' "$walk")
for reg in eip esp ebp ebx esi edi eax ecx edx efl; do
    v=$(grep -oE "$reg = 0x[0-9a-f]+" <<<"$frame0" | head -1 | awk '{print $3}')
    [ -n "$v" ] || { fail "no $reg in stackwalk output"; continue; }
    [ "$(count_re "$out" "(^| )$reg=${v#0x}( |$)")" = 2 ] || fail "$reg=${v#0x} not shown by both .ecxr and r"
done
has_line "$out" "eip=0040429e esp=0012fe84 ebp=0012fe88 iopl=0         nv up ei pl zr na pe nc"
has_line "$out" "cs=001b  ss=0023  ds=0023  es=0023  fs=003b  gs=0000             efl=00010246"
has_line "$out" "test_app+0x429e:"
run -c "r eip; .ecxr; r eip, esp" "$dump"
has_line "$out" "eip=7c90eb94"
has_line "$out" "eip=0040429e esp=0012fe84"

# db on thread 0's stack: the first bytes minidump_dump shows for it.
start=$(awk '/stack.start_of_memory_range/ {print $3; exit}' "$dumpout")
hex=$(grep -A1 '^Stack$' "$dumpout" | sed -n 2p | cut -c3-34)
bytes=$(sed -E 's/(..)/\1 /g; s/ $//' <<<"$hex")
expected=$(printf '%08x  %s-%s' "$start" "${bytes:0:23}" "${bytes:24}")
run -c "db $start L10; db 12f31c L4; db 0 L10" "$dump"
has_re "$out" "^${expected}  .{16}$"
has_line "$out" "$(printf '0012f31c  %-47s  ....' "${bytes:0:11}")"
has_line "$out" "00000000  ?? ?? ?? ?? ?? ?? ?? ??-?? ?? ?? ?? ?? ?? ?? ??  ????????????????"
run -c "dd esp L2; dd 0012f31c 0012f323; dps 12f324 L1" "$dump"
has_line "$out" "0012f31c  00000000 7c90e9c0"
has_line "$out" "0012f324  7c8025cb kernel32+0x25cb"

# vertarget: what Breakpad reads from SystemInfo and the header.
run -c "vertarget" "$dump"
has_line "$out" "Windows XP Version 2600 (Service Pack 2) UP Free x86 compatible"
has_line "$out" "Product: WinNt, suite: SingleUserTS"
has_line "$out" "Debug session time: Wed Feb 14 19:13:55.000 2007 (UTC + 0:00)"
has_line "$out" "Process Uptime: 0 days 0:00:00.000"
has_line "$out" "User Mini Dump File: Only registers, stack and portions of memory are available"

# lmv: the timestamp Breakpad decodes for test_app.exe, its PDB identity.
run -c "lmv m test*" "$dump"
has_line "$out" "    Image path: c:\\test_app.exe"
has_line "$out" "    Timestamp:        Wed Feb 14 19:13:48 2007 (45D35F6C)"
has_line "$out" "    ImageSize:        0002D000"
has_line "$out" "    PDB id:           5A9832E5287241C1838ED98914E9B7FF1 (RSDS)"
[ "$(count_re "$out" '^[0-9a-f]{8} [0-9a-f]{8}   ')" = 1 ] || fail "lmv m test* lists other modules"
run -c "lmvm kernel32" "$dump"
has_line "$out" "    File version:     5.1.2600.2945"
has_line "$out" "    File type:        2.0 Dll"
finish
