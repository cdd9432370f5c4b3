# tiny-exe-fastfail.dmp: a __fastfail (code 0xc0000409 at 0x7ff75355af42,
# per the corpus manifest); .exr names the code and the fail-fast subcode.
. "$(dirname "$0")/lib.sh"
dump=$(corpus google__breakpad/src__processor__testdata__tiny-exe-fastfail.dmp)
need "$dump"
run -c ".exr -1; .ecxr; .time; .dumpdebug" "$dump"
expect_status 0
has_line "$out" "   ExceptionCode: c0000409 (Security check failure or stack buffer overrun)"
has_re "$out" '^ExceptionAddress: 00007ff75355af42 \(tiny\+0x[0-9a-f]{16}\)$'
has_re "$out" '^Subcode: 0x[0-9a-f]+ (FAST_FAIL_[A-Z_]+|\(unknown\))$'
has_re "$out" '^rip=00007ff75355af42 '
has_re "$out" '^Debug session time: [A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}\.000 [0-9]{4} \(UTC [+-] [0-9]+:[0-9]{2}\)$'
# .dumpdebug: the header flags (0x100, MiniDumpWithProcessThreadData) and
# the 12 directory entries the manifest lists, 8 of them used.
has_line "$out" "Flags           100"
has_line "$out" "                0100 MiniDumpWithProcessThreadData"
has_line "$out" "NumberOfStreams 12"
[ "$(count_re "$out" '^Stream [0-9]+: type ')" = 8 ] || fail ".dumpdebug does not list the 8 used streams"
has_line "$out" "(4 unused directory entries not listed)"
has_re "$out" '^Stream 0: type ThreadListStream \(3\), size [0-9A-F]{8}, RVA [0-9A-F]{8}$'
has_line "$out" "  4 threads"
finish
