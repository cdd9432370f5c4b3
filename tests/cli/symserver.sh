#!/usr/bin/env bash
# End to end through the console: a lab PDB served by the test symbol
# server (tests/symserver/symserver.py) on 127.0.0.1 under its CodeView key,
# fetched by `.reload /f` (all modules in one parallel batch) into the
# downstream cache of srv*CACHE*URL; a second run, with the server gone,
# finds it in the cache and makes no request. A progress line is drawn only
# when stderr is a terminal. Over HTTPS: refused when the certificate cannot
# be verified, fetched when its CA is trusted.
. "$(dirname "$0")/lib.sh"
: "${COR_SRC:?}"
dump=${COR_LAB:-/nonexistent}/crash_av.dmp
need "$dump" "$COR_LAB/bin/crash_av.pdb" "$COR_LAB/crash_av.facts"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
# The servers are local: no proxy, and no CA bundle but the one a check names.
unset http_proxy https_proxy all_proxy HTTPS_PROXY ALL_PROXY CURL_CA_BUNDLE SSL_CERT_FILE

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
# pdb_in STORE: where crash_av.pdb sits in a downstream store.
pdb_in() { printf '%s/crash_av.pdb/%s/crash_av.pdb' "$1" "$id"; }

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

# The progress line. Under script(1), which gives the command a pty for
# stdin, stdout and stderr, a server that drips the PDB over a second and a
# half makes coroner draw "symbols: N/M looked up, ..." on stderr, with the
# bytes that arrived so far while the transfer runs. With stderr a pipe it
# draws none: not when stdout alone is the terminal, not when neither is.
if command -v script >/dev/null; then
    start_server "$work/drip-requests.log" --drip 1.5
    if [ -n "$port" ]; then
        # in_pty OUT CMDLINE: runs the bash command line under script, its terminal output in OUT.
        in_pty() {
            SHELL=/bin/bash script -qec "$2" /dev/null >"$1" 2>&1 </dev/null
        }
        cmd() { printf '%q ' "$COR_BIN" -y "srv*$work/$1*http://127.0.0.1:$port" -c ".reload /f; lm m crash_av" "$dump"; }
        progress_re='symbols: [0-9]+/[0-9]+ looked up, [0-9]+ in flight, [0-9.]+ [kM]B'
        # ... drawn while the PDB is on its way: a transfer in flight, bytes already in.
        moving_re='symbols: [0-9]+/[0-9]+ looked up, [1-9][0-9]* in flight, ([1-9][0-9]* kB|[0-9.]+ MB)'

        in_pty "$work/tty.out" "$(cmd drip-tty)"
        grep -qE "$progress_re" "$work/tty.out" || fail "no progress line on a terminal"
        grep -qE "$moving_re" "$work/tty.out" || fail "the progress line did not move during the download"
        grep -qF "$(pdb_in "$work/drip-tty")" "$work/tty.out" || fail "the dripped PDB was not loaded (terminal)"

        in_pty "$work/tty2.out" "$(cmd drip-stdout-tty) 2>$(printf %q "$work/pipe.err")"
        if grep -qE "$progress_re" "$work/tty2.out" "$work/pipe.err"; then fail "a progress line though stderr is not a terminal"; fi
        grep -qF "$(pdb_in "$work/drip-stdout-tty")" "$work/tty2.out" || fail "the dripped PDB was not loaded (stdout a terminal)"

        run -y "srv*$work/drip-pipe*http://127.0.0.1:$port" -c ".reload /f; lm m crash_av" "$dump"
        lacks "$err" "looked up"
        has "$out" "$(pdb_in "$work/drip-pipe")"
    else
        fail "the dripping symbol server did not start"
    fi
    stop_server
fi

# HTTPS, with a throwaway CA made here: its server certificate names
# 127.0.0.1 and localhost. Verification is on by default, so without being
# told to trust the CA coroner refuses the server (nothing fetched, the
# reason names the TLS failure); told by CURL_CA_BUNDLE or SSL_CERT_FILE, as
# curl(1) is, it fetches over HTTPS. A certificate from the trusted CA for
# another host name is still refused: the host check stays on too.
if command -v openssl >/dev/null; then
    tls=$work/tls
    mkdir -p "$tls"
    # make_cert NAME SAN: a key and a certificate signed by the CA, both in $tls/NAME.pem.
    make_cert() {
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
            -keyout "$tls/$1.key" -out "$tls/$1.csr" >/dev/null 2>&1 &&
        printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" >"$tls/$1.ext" &&
        openssl x509 -req -in "$tls/$1.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial -days 1 \
            -extfile "$tls/$1.ext" -out "$tls/$1.crt" >/dev/null 2>&1 &&
        cat "$tls/$1.key" "$tls/$1.crt" >"$tls/$1.pem"
    }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=coroner test CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" >/dev/null 2>&1 || fail "openssl could not make the test CA"
    make_cert 127.0.0.1 "IP:127.0.0.1,DNS:localhost" || fail "openssl could not make the server certificate"
    make_cert elsewhere.invalid "DNS:elsewhere.invalid" || fail "openssl could not make the second certificate"

    start_server "$work/tls-requests.log" --tls-cert "$tls/127.0.0.1.pem"
    if [ -n "$port" ]; then
        run -y "srv*$work/tls-none*https://127.0.0.1:$port" -c '!sym noisy; ln '"$level2"'; !lmi crash_av' "$dump"
        has_re "$err" 'HTTP error: .*(certificate|SSL)'
        lacks "$out" "    crash_av!lab_level2"
        [ ! -e "$(pdb_in "$work/tls-none")" ] || fail "a PDB from an unverified server was cached"

        CURL_CA_BUNDLE=$tls/ca.crt run -y "srv*$work/tls-bundle*https://127.0.0.1:$port" -c "ln $level2; lm m crash_av" "$dump"
        has_line "$out" "    crash_av!lab_level2"
        has_re "$out" "crash_av +\\(pdb symbols\\)  $(pdb_in "$work/tls-bundle")\$"
        cmp -s "$(pdb_in "$work/tls-bundle")" "$COR_LAB/bin/crash_av.pdb" || fail "CURL_CA_BUNDLE: the PDB fetched over HTTPS differs"

        SSL_CERT_FILE=$tls/ca.crt run -y "srv*$work/tls-certfile*https://localhost:$port" -c "ln $level2; lm m crash_av" "$dump"
        has_line "$out" "    crash_av!lab_level2"
        has_re "$out" "crash_av +\\(pdb symbols\\)  $(pdb_in "$work/tls-certfile")\$"
        grep -qx "GET /crash_av.pdb/$id/crash_av.pdb" "$work/tls-requests.log" || fail "the PDB was not requested over HTTPS"
    else
        fail "the TLS symbol server did not start"
    fi
    stop_server

    start_server "$work/tls-requests2.log" --tls-cert "$tls/elsewhere.invalid.pem"
    if [ -n "$port" ]; then
        CURL_CA_BUNDLE=$tls/ca.crt run -y "srv*$work/tls-wrongname*https://127.0.0.1:$port" \
            -c '!sym noisy; ln '"$level2" "$dump"
        has_re "$err" 'HTTP error: .*(certificate|SSL|host ?name|subject)'
        lacks "$out" "    crash_av!lab_level2"
        [ ! -e "$(pdb_in "$work/tls-wrongname")" ] || fail "a PDB from a server with another host's certificate was cached"
    else
        fail "the TLS symbol server did not start"
    fi
    stop_server
fi
finish
