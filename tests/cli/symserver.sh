#!/usr/bin/env bash
# End to end through the console: a lab PDB served by the test symbol
# server (tests/symserver/symserver.py) on 127.0.0.1 under its CodeView key,
# fetched by `.reload /f` (all modules in one parallel batch) into the
# downstream cache of srv*CACHE*URL; a second run, with the server gone,
# finds it in the cache and makes no request. Over HTTPS, a server whose
# certificate cannot be verified is refused.
. "$(dirname "$0")/lib.sh"
: "${COR_SRC:?}"
dump=${COR_LAB:-/nonexistent}/crash_av.dmp
need "$dump" "$COR_LAB/bin/crash_av.pdb" "$COR_LAB/crash_av.facts"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

work=$(mktemp -d)
server_pid=
stop_server() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; server_pid=; }
trap 'stop_server; rm -rf "$work"' EXIT

# start_server LOG [symserver options...]: serves $work/root, sets $port
# (empty when the server did not come up).
start_server() {
    local log=$1
    shift
    rm -f "$work/port"
    python3 "$COR_SRC/tests/symserver/symserver.py" --root "$work/root" --port-file "$work/port" --log "$log" "$@" &
    server_pid=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    port=$(cat "$work/port" 2>/dev/null)
}

run -c '!lmi crash_av' "$dump"
id=$(sed -n 's/.*CodeView: RSDS \([0-9A-F]*\),.*/\1/p' <<<"$out")
[ -n "$id" ] || { fail "no CodeView id for crash_av"; finish; }
mkdir -p "$work/root/crash_av.pdb/$id"
cp "$COR_LAB/bin/crash_av.pdb" "$work/root/crash_av.pdb/$id/"
level2=$(sed -n "s/^sym.lab_level2=//p" "$COR_LAB/crash_av.facts")

start_server "$work/requests.log"
[ -n "$port" ] || { fail "the symbol server did not start"; finish; }
path="srv*$work/cache*http://127.0.0.1:$port"
run -y "$path" -c ".reload /f; lm m crash_av; ln $level2" "$dump"
has_re "$out" "crash_av +\\(pdb symbols\\)  $work/cache/crash_av.pdb/$id/crash_av.pdb\$"
has_line "$out" "    crash_av!lab_level2"
grep -qx "GET /crash_av.pdb/$id/crash_av.pdb" "$work/requests.log" || fail "the PDB was not requested from the server"
[ -f "$work/cache/crash_av.pdb/$id/crash_av.pdb" ] || fail "the PDB is not in the cache"

stop_server
before=$(wc -l <"$work/requests.log")
run -y "$path" -c "ln $level2; lm m crash_av" "$dump"
has_line "$out" "    crash_av!lab_level2"
has_re "$out" "crash_av +\\(pdb symbols\\)  $work/cache/crash_av.pdb/$id/crash_av.pdb\$"
[ "$(wc -l <"$work/requests.log")" = "$before" ] || fail "the second run made requests"

# HTTPS: certificates are verified. A server with a self-signed certificate
# is refused (the PDB is not fetched), and the reason names the TLS failure.
if command -v openssl >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
        -keyout "$work/tls.pem" -out "$work/tls.crt" >/dev/null 2>&1 && cat "$work/tls.crt" >>"$work/tls.pem"
    start_server "$work/tls-requests.log" --tls-cert "$work/tls.pem"
    if [ -n "$port" ]; then
        run -y "srv*$work/tls-cache*https://127.0.0.1:$port" -c '!sym noisy; ln '"$level2"'; !lmi crash_av' "$dump"
        has_re "$err" 'HTTP error: .*(certificate|SSL)'
        lacks "$out" "    crash_av!lab_level2"
        [ ! -e "$work/tls-cache/crash_av.pdb/$id/crash_av.pdb" ] || fail "a PDB from an unverified server was cached"
    else
        fail "the TLS symbol server did not start"
    fi
    stop_server
fi
finish
