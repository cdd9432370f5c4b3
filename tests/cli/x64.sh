# x64 dumps: the register layout of `r`, the exception, and (in electron's
# fixture, written with MiniDumpWithProcessThreadData) the PEB and TEB.
# Facts come from the corpus manifest's notes on these files.
. "$(dirname "$0")/lib.sh"
crash=$(corpus google__breakpad/src__processor__testdata__write_av_non_canonical.dmp)
electron=$(corpus electron__node-minidump/test__fixtures__windows.dmp)
need "$crash" "$electron"

# write_av_non_canonical: exc tid=4488 code=0xc0000005 addr=0x7ff738721331, 15 modules.
run -c ".exr -1; .ecxr; r; r rip; r @rip, eax, al" "$crash"
expect_status 0
has_line "$out" "ExceptionAddress: 00007ff738721331 (crash+0x0000000000001331)"
has_line "$out" "   ExceptionCode: c0000005 (Access violation)"
has_line "$out" "Attempt to read from address ffffffffffffffff"
# WinDbg's x64 layout: three registers a line, r8/r9 right-aligned, then
# the flags line and the segment line.
[ "$(count_re "$out" '^rax=[0-9a-f]{16} rbx=[0-9a-f]{16} rcx=[0-9a-f]{16}$')" = 2 ] || fail "rax line"
has_re "$out" '^rdx=[0-9a-f]{16} rsi=[0-9a-f]{16} rdi=[0-9a-f]{16}$'
has_re "$out" '^rip=00007ff738721331 rsp=[0-9a-f]{16} rbp=[0-9a-f]{16}$'
has_re "$out" '^ r8=[0-9a-f]{16}  r9=[0-9a-f]{16} r10=[0-9a-f]{16}$'
has_re "$out" '^r11=[0-9a-f]{16} r12=[0-9a-f]{16} r13=[0-9a-f]{16}$'
has_re "$out" '^r14=[0-9a-f]{16} r15=[0-9a-f]{16}$'
has_re "$out" '^iopl=[0-3]         (nv|ov) (up|dn) (ei|di) (pl|ng) (nz|zr) (na|ac) (po|pe) (nc|cy)$'
has_re "$out" '^cs=0033  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=[0-9a-f]{8}$'
has_line "$out" "crash+0x1331:"
has_line "$out" "rip=00007ff738721331"
has_re "$out" '^rip=00007ff738721331 eax=[0-9a-f]{8} al=[0-9a-f]{2}$'
run -c "~; lm" "$crash"
has_re "$out" '^\.  0  Id: [0-9a-f]+\.1188 Suspend: [0-9]+ Teb: [0-9a-f]{8}`[0-9a-f]{8} Unfrozen$'
has_line "$out" "start             end                 module name"
[ "$(count_re "$out" '^[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8}   ')" = 15 ] || fail "lm does not list 15 modules"
has_re "$out" '^00007ff7`38720000 00007ff7`3874d000   crash      \(deferred\)$'

# electron.exe renderer: exc tid=6068 addr=0x7ff7215f8da4, 14 threads, 58 modules.
run -c ".exr -1; ~; !peb; !teb; lm" "$electron"
has_line "$out" "ExceptionAddress: 00007ff7215f8da4 (electron+0x00000000000e8da4)"
has_line "$out" "Attempt to write to address 0000000000000000"
[ "$(count_re "$out" '^[.# ] +[0-9]+  Id: ')" = 14 ] || fail "~ does not list 14 threads"
[ "$(count_re "$out" '^[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8}   ')" = 58 ] || fail "lm does not list 58 modules"
has_re "$out" '^PEB at [0-9a-f]{16}$'
has_re "$out" "^    CommandLine:  '\"C:\\\\users\\\\kevin\\\\Downloads\\\\electron-v1.4.3-win32-x64\\\\electron.exe\" --type=renderer "
has_line "$out" "    ImageBaseAddress:         00007ff721510000"
has_line "$out" "        OS=Windows_NT"
has_line "$out" "        PROCESSOR_ARCHITECTURE=AMD64"
# The TEB !teb shows is the current thread's, as ~ lists it, and its PEB
# pointer leads to the PEB !peb shows.
teb=$(grep -E '^\.  0  Id: ' <<<"$out" | grep -oE 'Teb: [0-9a-f`]+' | tr -d '`' | cut -c6-)
peb=$(grep -oE '^PEB at [0-9a-f]+' <<<"$out" | cut -c8-)
has_line "$out" "TEB at $teb"
has_line "$out" "    PEB Address:          $peb"
has_line "$out" "    Self:                 $teb"
has_re "$out" '^    ClientId:             00000000000027a4 \. 00000000000017b4$'
# Pseudo-registers and the module+offset of pointers into modules.
run -c "? @\$teb; ? @\$peb; dps @rsp L4; db @\$teb L10" "$electron"
has_line "$out" "Evaluate expression: $((16#$teb)) = ${teb:0:8}\`${teb:8}"
has_line "$out" "Evaluate expression: $((16#$peb)) = ${peb:0:8}\`${peb:8}"
has_re "$out" '^[0-9a-f]{8}`[0-9a-f]{8}  00007fff`63bcc19f KERNELBASE\+0x4c19f$'
has_re "$out" '^[0-9a-f]{8}`[0-9a-f]{8}  00 00 00 00 00 00 00 00-00 00 db 99 63 00 00 00  \.{12}c\.{3}$'
finish
