# Firefox crash reports from mozilla's minidump-stackwalk corpus (written
# with MiniDumpWithProcessThreadData, so the PEB and TEBs are there): the
# x86 one for the 32-bit !peb/!teb layouts, the ARM64 one for ARM64 `r`.
# Facts from the corpus manifest: x86 exc tid=11336 code=0x80000003
# addr=0x5cdbc66d, 95 threads, 154 modules; ARM64 exc tid=11276
# addr=0x7ffed46446f8, 104 threads, 131 modules.
. "$(dirname "$0")/lib.sh"
x86=$(corpus mozilla-services__minidump-stackwalk/pgo_data__minidumps__windows-x86.dmp.DECOMPRESSED.dmp)
arm64xz=$(corpus mozilla-services__minidump-stackwalk/pgo_data__minidumps__windows-aarch64.dmp.xz)
need "$x86" "$arm64xz"
command -v xz >/dev/null || { echo "SKIP: xz is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xz -dc "$arm64xz" >"$tmp/arm64.dmp" || { fail "cannot decompress $arm64xz"; finish; }

run -c ".exr -1; ~; lm; !peb; !teb" "$x86"
expect_status 0
has_line "$out" "ExceptionAddress: 5cdbc66d (xul+0x0330c66d)"
has_line "$out" "   ExceptionCode: 80000003 (Break instruction exception)"
[ "$(count_re "$out" '^[.# ] *[0-9]+  Id: ')" = 95 ] || fail "~ does not list 95 threads"
[ "$(count_re "$out" '^[0-9a-f]{8} [0-9a-f]{8}   .* \((deferred|no symbols)\)$')" = 154 ] || fail "lm does not list 154 modules"
has_re "$out" '^\.  0  Id: [0-9a-f]+\.2c48 Suspend: [0-9]+ Teb: 050cf000 Unfrozen "MainThread"$'
# The PEB's image base is where lm puts firefox; the TEB is thread 0's.
base=$(grep -E '^[0-9a-f]{8} [0-9a-f]{8}   firefox ' <<<"$out" | cut -c1-8)
[ -n "$base" ] || fail "lm has no firefox module"
has_line "$out" "    ImageBaseAddress:         $base"
has_line "$out" "    ImageFile:    'C:\\Program Files (x86)\\Nightly\\firefox.exe'"
has_line "$out" "    CommandLine:  '\"C:\\Program Files (x86)\\Nightly\\firefox.exe\" -first-startup'"
has_line "$out" "        PROCESSOR_ARCHITECTURE=x86"
has_re "$out" '^PEB at [0-9a-f]{8}$'
has_line "$out" "TEB at 050cf000"
has_line "$out" "    Self:                 050cf000"
has_line "$out" "    ClientId:             00002c4c . 00002c48"
peb=$(grep -oE '^PEB at [0-9a-f]+' <<<"$out" | cut -c8-)
has_line "$out" "    PEB Address:          $peb"

run -c ".exr -1; .ecxr; r; r pc, x0, w0, fp, lr, sp; ~" "$tmp/arm64.dmp"
expect_status 0
has_line "$out" "ExceptionAddress: 00007ffed46446f8 (xul+0x00000000032c46f8)"
has_re "$out" '^ x0=[0-9a-f]{16}   x1=[0-9a-f]{16}   x2=[0-9a-f]{16}   x3=[0-9a-f]{16}$'
has_re "$out" '^x28=[0-9a-f]{16}   fp=[0-9a-f]{16}   lr=[0-9a-f]{16}   sp=[0-9a-f]{16}$'
[ "$(count_re "$out" '^ pc=00007ffed46446f8  psr=[0-9a-f]{8} [N-][Z-][C-][V-] EL[0-3]$')" = 2 ] || fail "pc line"
has_re "$out" '^pc=00007ffed46446f8 x0=[0-9a-f]{16} w0=[0-9a-f]{8} fp=[0-9a-f]{16} lr=[0-9a-f]{16} sp=[0-9a-f]{16}$'
[ "$(count_re "$out" '^[.# ] *[0-9]+  Id: ')" = 104 ] || fail "~ does not list 104 threads"
has_re "$out" '^\.  0  Id: [0-9a-f]+\.2c0c .* "MainThread"$'
finish
