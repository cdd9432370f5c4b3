# Shared by the CLI tests (sourced): run the coroner binary and check its
# output. Meson sets COR_BIN, COR_CORPUS and COR_LAB; a test whose input is
# missing exits 77, which meson counts as skipped.
set -u
: "${COR_BIN:?COR_BIN must point at the coroner binary}"
: "${COR_CORPUS:?COR_CORPUS must point at the corpus}"

fails=0
last_output=""

corpus() { printf '%s/%s' "$COR_CORPUS" "$1"; }

need() {
    for f in "$@"; do
        [ -f "$f" ] || { echo "SKIP: $f is missing"; exit 77; }
    done
}

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# run ARGS...: runs coroner, keeping stdout in $out and the status in $status.
# Stderr is kept in $err.
run() {
    local ef
    ef=$(mktemp)
    out=$("$COR_BIN" "$@" 2>"$ef")
    status=$?
    err=$(cat "$ef")
    rm -f "$ef"
    last_output=$out
}

# has_line TEXT LINE: TEXT holds LINE exactly, as a whole line.
has_line() { grep -qxF -- "$2" <<<"$1" || fail "no line: '$2'"; }
# has TEXT FRAGMENT / has_re TEXT REGEX (extended, anchored as written)
has() { grep -qF -- "$2" <<<"$1" || fail "no text: '$2'"; }
has_re() { grep -qE -- "$2" <<<"$1" || fail "no line matching: $2"; }
lacks() { if grep -qF -- "$2" <<<"$1"; then fail "unexpected text: '$2'"; fi; }
# count_re TEXT REGEX: how many lines match.
count_re() { grep -cE -- "$2" <<<"$1"; }
expect_status() { [ "$status" = "$1" ] || fail "exit status $status, expected $1"; }

finish() {
    if [ "$fails" -gt 0 ]; then
        echo "---- last output ----"
        echo "$last_output"
        echo "$fails check(s) failed"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}
