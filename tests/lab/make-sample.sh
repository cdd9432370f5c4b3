#!/usr/bin/env bash
# make-sample.sh [LABDIR] - regenerate the bundled sample in samples/:
#
#   samples/w3wp-hang.dmp.xz          small (-mp) hang dump of the lab's w3wp.exe
#   samples/w3wp-hang.facts           what is true in it by construction
#   samples/w3wp-hang-symbols.tar.xz  w3wp.exe, w3tp.dll, webengine4.dll and
#                                     their PDBs, flat in w3wp-hang-symbols/
#
# The dump is the lab's w3wp_hang_mp.dmp (see build-lab.sh); LABDIR defaults
# to a fresh temporary directory.  Needs what build-lab.sh needs, plus xz and
# tar.  Run it from any directory; it writes into the repository's samples/.
set -euo pipefail

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_SRC/../.." && pwd)
SAMPLES=$REPO/samples

command -v xz >/dev/null 2>&1 || { echo "sample: xz not found (apt-get install xz-utils)" >&2; exit 1; }

if [ $# -ge 1 ]; then
    LAB=$1
else
    LAB=$(mktemp -d /tmp/coroner-sample.XXXXXX)
    trap 'rm -rf "$LAB"' EXIT
fi

"$LAB_SRC/build-lab.sh" "$LAB"

mkdir -p "$SAMPLES"
xz -9 -c "$LAB/w3wp_hang_mp.dmp" >"$SAMPLES/w3wp-hang.dmp.xz.tmp"
mv "$SAMPLES/w3wp-hang.dmp.xz.tmp" "$SAMPLES/w3wp-hang.dmp.xz"
cp "$LAB/w3wp_hang_mp.facts" "$SAMPLES/w3wp-hang.facts"

stage=$(mktemp -d /tmp/coroner-symbols.XXXXXX)
mkdir "$stage/w3wp-hang-symbols"
for f in w3wp.exe w3wp.pdb w3tp.dll w3tp.pdb webengine4.dll webengine4.pdb; do
    cp "$LAB/bin/$f" "$stage/w3wp-hang-symbols/"
done
# Sorted names, fixed times and owners: the same files give the same archive.
tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -cf - w3wp-hang-symbols | xz -9 >"$SAMPLES/w3wp-hang-symbols.tar.xz"
rm -rf "$stage"

echo "sample: $(stat -c %s "$SAMPLES/w3wp-hang.dmp.xz") bytes  samples/w3wp-hang.dmp.xz" \
     "($(stat -c %s "$LAB/w3wp_hang_mp.dmp") unpacked)"
echo "sample: $(stat -c %s "$SAMPLES/w3wp-hang-symbols.tar.xz") bytes  samples/w3wp-hang-symbols.tar.xz"
echo "sample: samples/w3wp-hang.facts"
