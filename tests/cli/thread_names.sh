# thread_name_list.dmp carries a ThreadNames stream: ~ shows each name in
# quotes after the thread. The exception (tid 10976 = 0x2ae0, per the
# corpus manifest) is on the "overflow thread", which the dump opens on.
. "$(dirname "$0")/lib.sh"
dump=$(corpus google__breakpad/src__processor__testdata__thread_name_list.dmp)
need "$dump"
run -c "~; ~0s; ~; ~~[2ae0]s; ~*; ~#" "$dump"
expect_status 0
has_line "$out" "0:005> ~"
has_re "$out" '^   0  Id: 1798\.19a4 Suspend: 0 Teb: 002fa000 Unfrozen "main thread"$'
has_re "$out" '^   4  Id: 1798\.2274 Suspend: 0 Teb: 00306000 Unfrozen "sleep thread"$'
has_re "$out" '^\.  5  Id: 1798\.2ae0 Suspend: 0 Teb: 00309000 Unfrozen "overflow thread"$'
has_re "$out" '^   1  Id: 1798\.ce0 Suspend: 0 Teb: 002fd000 Unfrozen$'
# After ~0s the current thread moves and the exception thread keeps '#'.
has_line "$out" "0:000> ~"
has_re "$out" '^\.  0  Id: 1798\.19a4 .* "main thread"$'
has_re "$out" '^#  5  Id: 1798\.2ae0 .* "overflow thread"$'
# ~~[tid]s switches by thread id; ~* adds the priorities.
has_line "$out" "0:005> ~*"
has_line "$out" "      Priority: 0  Priority class: 32"
has_line "$out" "0:005> ~#"
[ "$(count_re "$out" '"overflow thread"$')" = 4 ] || fail "overflow thread not shown by every listing"
# Thread-specific commands: ~N CMD runs CMD there and comes back.
run -c "~0 r esp; r esp; ~* r eip; ~*e r ebp" "$dump"
has_line "$out" "0:005> ~0 r esp"
[ "$(count_re "$out" "^eip=")" = 6 ] || fail "~* r eip did not run on 6 threads"
[ "$(count_re "$out" '^ebp=')" = 6 ] || fail "~*e r ebp did not run on 6 threads"
[ "$(count_re "$out" '^[.# ] +[0-9]  Id: ')" = 6 ] || fail "~* CMD prints one header per thread, ~*e none"
mapfile -t esps < <(grep -E "^esp=" <<<"$out" | head -2)
[ "${#esps[@]}" = 2 ] && [ "${esps[0]}" != "${esps[1]}" ] || fail "~0 r esp should show thread 0's esp, not thread 5's"
has_line "$out" "0:005> r esp"
run -c "~9s; ~~[1234]s; ~x" "$dump"
has_line "$out" "Illegal thread error in '~9': the dump has 6 threads"
has_line "$out" "Illegal thread error in '~~[1234]': no thread with that id"
has_line "$out" "Syntax error in '~x'"

# ~* adds Start and Affinity from ThreadInfoList when the dump has one:
# LLDB's fizzbuzz_no_heap.dmp (pid 4440 = 0x1158, per LLDB's TestMiniDump).
fizz=$(corpus llvm-mirror__lldb/packages__Python__lldbsuite__test__functionalities__postmortem__minidump__fizzbuzz_no_heap.dmp)
need "$fizz"
run -c "~*" "$fizz"
has_re "$out" '^\.  0  Id: 1158\.[0-9a-f]+ Suspend: [0-9]+ Teb: [0-9a-f]{8} Unfrozen$'
has_re "$out" '^      Start: fizzbuzz\+0x[0-9a-f]+ \([0-9a-f]{8}\)$'
has_re "$out" '^      Priority: -?[0-9]+  Priority class: [0-9]+  Affinity: [0-9a-f]+$'
finish
