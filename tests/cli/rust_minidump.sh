# rust-minidump's snapshot of its own stackwalker on test.dmp (the same dump
# as Breakpad's minidump2.dmp), with test_app's .sym: coroner analyze's JSON
# must agree frame for frame on every thread — module, offsets, function,
# source line and trust. rust-minidump reports a caller frame at its return
# address minus one (the call), coroner at the return address, as WinDbg.
. "$(dirname "$0")/lib.sh"
dump=$(corpus rust-minidump__rust-minidump/testdata__test.dmp)
snap=$(corpus rust-minidump__rust-minidump/minidump-stackwalk__tests__snapshots__test_minidump_stackwalk__json-pretty-symbols.snap)
sym=$(corpus google__breakpad/src__processor__testdata__symbols__test_app.pdb__5A9832E5287241C1838ED98914E9B7FF1__test_app.sym)
need "$dump" "$snap" "$sym"
syms=$(mktemp -d)
trap 'rm -rf "$syms"' EXIT
mkdir -p "$syms/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1"
cp "$sym" "$syms/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
json=$("$COR_BIN" analyze -y "$syms" --format json "$dump") || fail "analyze failed"
python3 - "$snap" 3<<<"$json" <<'PY' || fail "coroner disagrees with rust-minidump"
import json, os, sys
text = open(sys.argv[1]).read()
want = json.loads(text.split("---", 2)[2])
got = json.load(os.fdopen(3))
ours = {t["thread_id"]: t for t in got["threads"]}
hx = lambda s: int(s, 16) if s is not None else None
compared = 0
for wt in want["threads"]:
    if not wt["frames"]:
        # rust-minidump leaves the thread that wrote the dump unwalked.
        continue
    gt = ours[wt["thread_id"]]
    assert gt["frame_count"] == len(wt["frames"]), (gt["frame_count"], len(wt["frames"]))
    for wf, gf in zip(wt["frames"], gt["frames"]):
        adj = 1 if wf["frame"] > 0 else 0
        assert gf["frame"] == wf["frame"]
        assert gf["module"] == wf["module"], (gf, wf)
        assert hx(gf["module_offset"]) - adj == hx(wf["module_offset"]), (gf, wf)
        assert hx(gf["ip"]) - adj == hx(wf["offset"]), (gf, wf)
        assert gf["function"] == wf["function"], (gf, wf)
        if wf["function"]:
            assert hx(gf["function_offset"]) - adj == hx(wf["function_offset"]), (gf, wf)
        assert gf["file"] == wf.get("file") and gf["line"] == wf.get("line"), (gf, wf)
        assert gf["trust"] == wf["trust"], (gf, wf)
        compared += 1
assert compared == 4, compared
c = got["crash"]
assert want["crash_info"]["type"] == "EXCEPTION_ACCESS_VIOLATION_WRITE"
assert c["access"] == "write" and hx(c["access_address"]) == hx(want["crash_info"]["address"])
assert c["thread_id"] == want["threads"][want["crash_info"]["crashing_thread"]]["thread_id"]
PY
finish
