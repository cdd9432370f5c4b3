#!/usr/bin/env bash
# build-lab.sh OUTDIR - build the lab's Windows programs and make real dumps
# with them under Wine.
#
# Needs (Debian 12, as root, no display):
#   apt-get install clang lld gcc-mingw-w64-x86-64 wine wine64 python3
# (python3 only to verify the dumps; without it the check is skipped.)
#
# OUTDIR gets:
#   bin/            the programs, each with its PDB (CodeView path = file name)
#   wineprefix/     a 64-bit Wine prefix, made on first use
#   crash_av.dmp         full-memory dump at the second-chance access violation
#   cpp_throw.dmp        full-memory dump at a second-chance C++ exception (0xE06D7363)
#   stack_overflow.dmp   full-memory dump at the first-chance stack overflow
#   hang_locks.dmp       full-memory hang dump (deadlock, event, spin, sleep)
#   w3wp_hang.dmp        full-memory hang dump of the IIS worker stand-in
#   w3wp_hang_mp.dmp     the same process, small (-mp) dump
#   NAME.facts           for each NAME.dmp: what is true by construction
#   lab.stamp            hash of the sources; when unchanged, nothing is redone
#   run/                 scratch: readiness files and logs of each step
#
# Environment: LAB_TIMEOUT (seconds per Wine step, default 120), LAB_FORCE=1
# to rebuild even if the stamp matches.
set -euo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TIMEOUT=${LAB_TIMEOUT:-120}

die() {
    echo "lab: error: $*" >&2
    exit 1
}

say() {
    echo "lab: [$SECONDS s] $*"
}

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found (apt-get install $2)"
}
need clang clang
need ld.lld lld
need wine "wine wine64"
need wineserver "wine wine64"
need timeout coreutils
need sha256sum coreutils
need flock util-linux

# The mingw-w64 runtime libraries clang links against (libgcc, libmingw32...).
MINGW_LIBDIR=$(find /usr/lib/gcc/x86_64-w64-mingw32 -mindepth 1 -maxdepth 1 -name '*-win32' 2>/dev/null |
               sort -V | tail -n 1)
[ -n "$MINGW_LIBDIR" ] || die "no /usr/lib/gcc/x86_64-w64-mingw32/*-win32 (apt-get install gcc-mingw-w64-x86-64)"

# One build at a time per OUTDIR (parallel test runners may all ask for it).
exec 9>"$OUT/.lock"
flock 9

SOURCES=(lab.h lab.c labdll.c crash_av.c cpp_throw.c stack_overflow.c hang_locks.c w3wp.c w3tp.c webengine4.c
         capture.h capture.c capture_complete.c
         build-lab.sh verify-dump.py)
DUMPS=(crash_av cpp_throw stack_overflow hang_locks w3wp_hang w3wp_hang_mp)

stamp=$( (cd "$LAB_SRC" && sha256sum "${SOURCES[@]}"; clang --version | head -n 1;
          wine --version 2>/dev/null) | sha256sum | cut -d' ' -f1)
if [ "${LAB_FORCE:-0}" != 1 ] && [ -f "$OUT/lab.stamp" ] && [ "$(cat "$OUT/lab.stamp")" = "$stamp" ]; then
    complete=1
    for d in "${DUMPS[@]}"; do
        [ -s "$OUT/$d.dmp" ] && [ -s "$OUT/$d.facts" ] || complete=0
    done
    if [ $complete = 1 ]; then
        say "up to date in $OUT"
        exit 0
    fi
fi
rm -f "$OUT/lab.stamp"

SECONDS=0
BIN=$OUT/bin
RUN=$OUT/run
mkdir -p "$BIN" "$RUN"
rm -f "$RUN"/*.ready "$RUN"/*.facts "$RUN"/*.facts.tmp "$RUN"/*.log
for d in "${DUMPS[@]}"; do rm -f "$OUT/$d.dmp" "$OUT/$d.facts"; done

# ---- build ----

CFLAGS=(--target=x86_64-w64-mingw32 -O1 -fno-optimize-sibling-calls -g -gcodeview -Wall -Wextra)
# lld writes the PDB next to the image; /pdbaltpath:%_PDB% records only its
# file name in the CodeView record (as MSVC release builds do), and /Brepro
# makes TimeDateStamp a content hash, so rebuilding the same source gives
# the same image.
LDFLAGS=(-fuse-ld=lld "-L$MINGW_LIBDIR" -Xlinker /pdbaltpath:%_PDB% -Xlinker /Brepro)

build() {       # build OUTPUT SOURCES... [-- LIBS...]
    local out=$1 pdb=${1%.*}.pdb
    shift
    say "build $out"
    clang "${CFLAGS[@]}" "${LDFLAGS[@]}" "-Wl,--pdb=$BIN/$pdb" -o "$BIN/$out" "$@" \
        >"$RUN/build-$out.log" 2>&1 || { cat "$RUN/build-$out.log" >&2; die "building $out failed"; }
}

cd "$LAB_SRC"
build capture.exe capture.c capture_complete.c -ldbghelp -lntdll
build crash_av.exe crash_av.c lab.c
build cpp_throw.exe cpp_throw.c lab.c
build stack_overflow.exe stack_overflow.c lab.c
build labdll.dll -shared labdll.c
build hang_locks.exe hang_locks.c lab.c -lws2_32
build w3tp.dll -shared w3tp.c "-Wl,--out-implib,$BIN/libw3tp.a"
build webengine4.dll -shared webengine4.c
build w3wp.exe w3wp.c lab.c "-L$BIN" -lw3tp

# ---- Wine ----

export WINEPREFIX=$OUT/wineprefix
export WINEARCH=win64
export WINEDEBUG=-all
# No Mono or Gecko install dialogs, no display needed.
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
export HOME=${HOME:-/root}

cleanup() {
    wineserver -k >/dev/null 2>&1 || true
}
trap cleanup EXIT

# wine_step LOG ARGS...: run wine with a timeout, output kept in run/LOG.
# A failed step is tried once more: about one run in thirty, a capture under
# Wine exited non-zero at once with no output at all, and the same step then
# passed (not reproduced in isolation).
wine_step() {
    local log=$1 try rc
    shift
    for try in 1 2; do
        rc=0
        (cd "$RUN" && timeout -k 10 "$LAB_TIMEOUT" wine "$@") >"$RUN/$log" 2>&1 || rc=$?
        [ $rc -eq 0 ] && return 0
        cp "$RUN/$log" "$RUN/$log.try$try"
        [ $rc -eq 124 ] && break        # timed out: trying again would only double the wait
        [ $try -eq 1 ] && say "  step failed (exit status $rc), trying once more"
    done
    cat "$RUN/$log" >&2
    die "wine $* failed (exit status $rc; 124 = timed out after ${LAB_TIMEOUT}s); log in $RUN/$log"
}

if [ ! -f "$WINEPREFIX/system.reg" ]; then
    say "create Wine prefix $WINEPREFIX (first run only)"
    wine_step wineboot.log wineboot -i
fi
# Wine 8 pretends to be Windows 7 (6.1.7601) by default; IIS 10 and the
# dumps coroner meets come from Windows 10 / Server 2016 and later.
wine_step winver.log reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f

winpath() {     # Unix path -> the Z: path Wine maps it to
    local p=${1//\//\\}
    echo "Z:$p"
}

# w3wp.exe lives where IIS keeps it, so the dump's module list says
# c:\windows\system32\inetsrv\w3wp.exe; w3tp.dll and webengine4.dll beside it.
INETSRV=$WINEPREFIX/drive_c/windows/system32/inetsrv
mkdir -p "$INETSRV"
cp "$BIN/w3wp.exe" "$BIN/w3tp.dll" "$BIN/webengine4.dll" "$INETSRV/"
W3WP_CMDLINE='c:\windows\system32\inetsrv\w3wp.exe -ap "CoronerPool" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm0f3b3e2c-1d5a-4c3d-9a0e-1f2e3d4c5b6a -h "C:\inetpub\temp\apppools\CoronerPool\CoronerPool.config" -w "" -m 0 -t 20 -ta 0'

CAPTURE=$(winpath "$BIN/capture.exe")
OUTW=$(winpath "$OUT")

take() {        # take SCENARIO DUMPNAME: keep the dump and its facts
    [ -s "$OUT/$2.dmp" ] || die "$2.dmp was not written"
    [ -s "$RUN/$1.facts" ] || die "$1 wrote no facts"
    cp "$RUN/$1.facts" "$OUT/$2.facts"
    say "  $2.dmp $(stat -c %s "$OUT/$2.dmp") bytes"
}

say "dump crash_av (debugger, second-chance access violation)"
wine_step crash_av.log "$CAPTURE" -e -ma -t 60 "$OUTW\\crash_av.dmp" -- "$(winpath "$BIN/crash_av.exe")"
take crash_av crash_av
echo "exception.chance=second" >> "$OUT/crash_av.facts"

say "dump cpp_throw (debugger, second-chance C++ exception)"
wine_step cpp_throw.log "$CAPTURE" -e -ma -t 60 "$OUTW\\cpp_throw.dmp" -- "$(winpath "$BIN/cpp_throw.exe")"
take cpp_throw cpp_throw
echo "exception.chance=second" >> "$OUT/cpp_throw.facts"

# Wine cannot deliver a second-chance stack overflow (the unhandled-exception
# path itself overflows and Wine kills the process), so dump at first chance.
say "dump stack_overflow (debugger, first-chance stack overflow)"
wine_step stack_overflow.log "$CAPTURE" -e -c 0xC00000FD -ma -t 60 "$OUTW\\stack_overflow.dmp" -- \
    "$(winpath "$BIN/stack_overflow.exe")"
take stack_overflow stack_overflow
echo "exception.chance=first" >> "$OUT/stack_overflow.facts"

say "dump hang_locks (hang: deadlock, named event, spinner, sleeper)"
wine_step hang_locks.log "$CAPTURE" -x hang_locks.ready -t 60 -ma -k "$OUTW\\hang_locks.dmp" -- \
    "$(winpath "$BIN/hang_locks.exe")"
take hang_locks hang_locks

say "dump w3wp (hang: IIS worker, full and small dumps of one process)"
wine_step w3wp_ma.log "$CAPTURE" -x w3wp.ready -t 60 -ma "$OUTW\\w3wp_hang.dmp" --cmdline "$W3WP_CMDLINE"
w3wp_pid=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' "$RUN/w3wp_ma.log" | head -n 1)
[ -n "$w3wp_pid" ] || die "capture did not report the w3wp pid (see $RUN/w3wp_ma.log)"
wine_step w3wp_mp.log "$CAPTURE" -mp -k "$w3wp_pid" "$OUTW\\w3wp_hang_mp.dmp"
take w3wp w3wp_hang
take w3wp w3wp_hang_mp

cleanup

# ---- check ----

if command -v python3 >/dev/null 2>&1; then
    for d in "${DUMPS[@]}"; do
        python3 "$LAB_SRC/verify-dump.py" "$OUT/$d.dmp" "$OUT/$d.facts" || die "$d.dmp does not match its facts"
    done
else
    say "python3 not found: dumps not verified"
fi

echo "$stamp" >"$OUT/lab.stamp"
say "done: $OUT"
