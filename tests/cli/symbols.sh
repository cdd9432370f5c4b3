#!/usr/bin/env bash
# Symbols from Breakpad .sym files in Breakpad's directory layout, found by
# the modules' CodeView identity (-y and .sympath), on minidump2.dmp. The
# expected names, files and lines are those of Breakpad's own
# minidump_stackwalk output for this dump (minidump2.stackwalk.out):
#   0  test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]   eip 0x0040429e
#   1  test_app.exe!main [test_app.cc : 65 + 0x5]                                    eip 0x00404200
#   2  test_app.exe!__tmainCRTStartup [crt0.c : 327 + 0x12]                           eip 0x004053ec
#   3  kernel32.dll!BaseProcessStart + 0x23                                           eip 0x7c816fd7
. "$(dirname "$0")/lib.sh"
dump=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
app=$(corpus google__breakpad/src__processor__testdata__symbols__test_app.pdb__5A9832E5287241C1838ED98914E9B7FF1__test_app.sym)
k32=$(corpus google__breakpad/src__processor__testdata__symbols__kernel32.pdb__BCE8785C57B44245A669896B6A19B9542__kernel32.sym)
need "$dump" "$app" "$k32"

syms=$(mktemp -d)
trap 'rm -rf "$syms"' EXIT
mkdir -p "$syms/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1" "$syms/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542"
cp "$app" "$syms/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
cp "$k32" "$syms/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym"

# Without symbols: module+offset; deferred until an address needs them.
run -c "lm m test_app; .exr -1; lm m test_app" "$dump"
has_re "$out" '^00400000 0042d000   test_app +\(deferred\)$'
has_line "$out" "ExceptionAddress: 0040429e (test_app+0x0000429e)"
has_re "$out" '^00400000 0042d000   test_app +\(no symbols\)$'

# With -y: the functions Breakpad names, loaded on first use. Caller frames
# are looked up at their return address minus one, as Breakpad does, so
# that the line is the call's.
run -y "$syms" -c "lm m test_app; .exr -1; ln 40429e; ln 4041ff; ln 4053eb; ln 7c816fd7; lm m test_app; lm m kernel32" "$dump"
has_re "$out" '^00400000 0042d000   test_app +\(deferred\)$'
has_line "$out" "ExceptionAddress: 0040429e (test_app!\`anonymous namespace'::CrashFunction+0x0000000e)"
has_re "$out" "^\([0-9a-f]{8}\)   test_app!\`anonymous namespace'::CrashFunction\+0xe"
has_line "$out" "    [c:\\test_app.cc @ 58]"
has_re "$out" '^\([0-9a-f]{8}\)   test_app!main\+0x[0-9a-f]+'
has_line "$out" "    [c:\\test_app.cc @ 65]"
has_re "$out" '^\([0-9a-f]{8}\)   test_app!__tmainCRTStartup\+0x[0-9a-f]+'
has_re "$out" '    \[.*crt0.c @ 327\]'
has_re "$out" '^\([0-9a-f]{8}\)   kernel32!BaseProcessStart\+0x23'
has_re "$out" "^00400000 0042d000   test_app +\(breakpad symbols\)  .*test_app.sym$"
has_re "$out" "^7c800000 7c8f4000   kernel32 +\(breakpad symbols\)  .*kernel32.sym$"

# The return address on the crashing thread's stack, under dps.
run -y "$syms" -c "dps 12fe84 L3" "$dump"
has_line "$out" "0012fe8c  00404200 test_app!main+0x50"

# x lists matching functions; !lmi says where the symbols came from.
run -y "$syms" -c "x test_app!*CrashFunction*; !lmi test_app" "$dump"
has_line "$out" "00404290 test_app!\`anonymous namespace'::CrashFunction"
has_re "$out" 'Symbol Type: breakpad symbols'

# .sympath sets the path in the session; .reload forgets what was loaded.
run -c ".sympath $syms; ln 40429e; .reload; lm m test_app" "$dump"
has_line "$out" "Symbol search path is: $syms"
has_re "$out" "test_app!\`anonymous namespace'::CrashFunction\+0xe"
has_line "$out" "Reloading current modules"
has_re "$out" '^00400000 0042d000   test_app +\(deferred\)$'

# The analyzer names the faulting function and line from the same symbols.
run analyze -y "$syms" --format json "$dump"
has "$out" '"function":"`anonymous namespace'"'"'::CrashFunction","function_offset":"0xe","file":"c:\\test_app.cc","line":58'
run analyze "$dump" --format json
has "$out" '"function":null'

# _NT_ALT_SYMBOL_PATH is searched before _NT_SYMBOL_PATH, as dbghelp does.
out=$(_NT_ALT_SYMBOL_PATH="$syms" _NT_SYMBOL_PATH=/nonexistent "$COR_BIN" -c ".sympath; ln 40429e" "$dump")
last_output=$out
has_line "$out" "Symbol search path is: $syms;/nonexistent"
has_re "$out" "test_app!\`anonymous namespace'::CrashFunction\+0xe"

# A symbol server that cannot be reached is tried once, then skipped for the
# rest of the run (offline, every module would otherwise wait for it); the
# noisy log says so.
cache=$(mktemp -d)
run -y "srv*$cache*http://127.0.0.1:9" -c '!sym noisy; .reload /f; lm m test_app' "$dump"
has_line "$out" "noisy mode - symbol prompts on"
[ "$(grep -c 'HTTPGET: /test_app.pdb/' <<<"$err")" = 1 ] || fail "the unreachable server was not asked exactly once for test_app.pdb"
grep -q 'ntdll.pdb/36515FB5D04345E491F672FA2E2878C02 - skipped: server unreachable earlier in this run' <<<"$err" ||
    fail "no skip of the unreachable server for ntdll.pdb"
rm -rf "$cache"

# A module with no symbols on the path, once needed, says so.
run -y "$syms" -c "ln 7c9131dc; lm m ntdll" "$dump"
has_re "$out" '^7c900000 7c9b0000   ntdll +\(no symbols\)$'
finish
