# Interactive mode with piped input: commands are read a line at a time,
# each echoed after the prompt (which follows the current thread), and the
# session ends at q or at the end of input.
. "$(dirname "$0")/lib.sh"
dump=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
need "$dump"

out=$(printf '~1s\nr eip\nbogus\n~0s ; r eip\nq\nlm\n' | "$COR_BIN" "$dump")
status=$?
last_output=$out
expect_status 0
has_line "$out" "Loading Dump File [$dump]"
has_line "$out" "This dump file has an exception of interest stored in it."
has_line "$out" "(f5c.bf4): Access violation - code c0000005 (first/second chance not available)"
has_line "$out" "0:000> ~1s"
has_line "$out" "0:001> r eip"
has_line "$out" "eip=7c90eb94"
has_line "$out" "0:001> bogus"
has_line "$out" "       ^ Syntax error in 'bogus'"
has_line "$out" "0:001> ~0s"
has_line "$out" "0:000> r eip"
has_line "$out" "quit:"
lacks "$out" "0:000> lm"

# End of input without q ends the session too.
out=$(printf 'vertarget\n' | "$COR_BIN" "$dump")
status=$?
expect_status 0
has_line "$out" "0:000> vertarget"
has_line "$out" "Windows XP Version 2600 (Service Pack 2) UP Free x86 compatible"
finish
