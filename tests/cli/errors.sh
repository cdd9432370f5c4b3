# The session survives bad commands; bad dumps and bad usage end the
# program with one line on stderr and status 2.
. "$(dirname "$0")/lib.sh"
dump=$(corpus google__breakpad/src__processor__testdata__minidump2.dmp)
need "$dump"

run -c "xyz; !xyz; db nosuchthing; r foo; .exr; lm m test*; q; lm" "$dump"
expect_status 0
has_line "$out" "0:000> xyz"
has_line "$out" "       ^ Syntax error in 'xyz'"
has_line "$out" "No export xyz found"
has_line "$out" "Couldn't resolve error at 'nosuchthing'"
has_line "$out" "Bad register error at 'foo'"
has_line "$out" "00400000 0042d000   test_app   (deferred)"
has_line "$out" "quit:"
[ "$(count_re "$out" '^0:000> lm$')" = 0 ] || fail "commands after q ran"

# A truncated copy: refused, one line naming the file.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 4000 "$dump" >"$tmp/cut.dmp"
run -c "lm" "$tmp/cut.dmp"
expect_status 2
[ -z "$out" ] || fail "output on stdout for a bad dump"
[ "$(wc -l <<<"$err")" = 1 ] || fail "stderr is not one line: $err"
has_re "$err" "^coroner: $tmp/cut\\.dmp: .+"
run "$tmp/missing.dmp"
expect_status 2
has_re "$err" "^coroner: $tmp/missing\\.dmp: cannot open: "
printf 'not a dump' >"$tmp/text.dmp"
run "$tmp/text.dmp"
expect_status 2

# Usage.
run
expect_status 2
run -q "$dump"
expect_status 2
has_re "$err" "unknown option -q"
run -c
expect_status 2
run "$dump" "$dump"
expect_status 2
run --help
expect_status 0
for opt in "-c" "-i IMAGEPATH" "-y SYMPATH" "-z DUMP" "analyze [-y SYMPATH] [-i IMAGEPATH] DUMP" "--version"; do has "$out" "$opt"; done
run -h
expect_status 0
run --version
expect_status 0
has_re "$out" '^coroner [0-9]+\.[0-9]+'

# -y and -i are kept, and shown by .sympath / .exepath.
run -y 'srv*/tmp/syms*https://msdl.microsoft.com/download/symbols' -i /tmp/images -c ".sympath; .exepath" "$dump"
has_line "$out" "Symbol search path is: srv*/tmp/syms*https://msdl.microsoft.com/download/symbols"
has_line "$out" "Executable image search path is: /tmp/images"
finish
