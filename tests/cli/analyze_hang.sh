# Hang analysis on the lab's hang dumps, against the facts each scenario
# wrote (tests/lab/README.md): the deadlock's threads and both critical
# sections by their symbols, every lock's owner and waiters, the named
# event and its waiters, sleepers, the spinning thread, and DebugDiag's
# order of findings; !locks, !cs and ln on the same locks.
. "$(dirname "$0")/lib.sh"
: "${COR_LAB:=}"
skip() {
    echo "SKIP: $1"
    [ -n "${COR_LAB_REQUIRED:-}" ] && exit 1
    exit 77
}
[ -f "${COR_LAB:-/nonexistent}/hang_locks.facts" ] || skip "no lab dumps in ${COR_LAB:-(COR_LAB unset)}"
fact() { sed -n "s/^$1=//p" "$2" | head -1; }
winedlls=$(ls -d /usr/lib/*/wine/x86_64-windows 2>/dev/null | head -1)

checked=0
for name in hang_locks w3wp_hang w3wp_hang_mp; do
    f=$COR_LAB/$name.facts
    dump=$COR_LAB/$name.dmp
    [ -f "$f" ] || continue
    bin=$COR_LAB/bin
    imgs=()
    [[ $name == *_mp ]] && imgs=(-i "$bin;$winedlls")
    json=$("$COR_BIN" analyze -y "$bin" "${imgs[@]}" --format json "$dump") || fail "analyze failed on $dump"
    python3 - "$f" 3<<<"$json" <<'PY' || fail "$name: analysis disagrees with the facts"
import json, os, sys
facts = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
d = json.load(os.fdopen(3))
tids = lambda k: sorted(int(x) for x in facts[k].split(","))
waits = {w["thread_id"]: w for w in d["waits"]}
locks = {int(l["address"], 16): l for l in d["locks"]}
# The deadlock: its threads, and both locks named by their variables.
assert len(d["deadlocks"]) == 1, d["deadlocks"]
dl = d["deadlocks"][0]
assert sorted(dl["thread_ids"]) == tids("deadlock.cycle"), dl
cs_names = [k[3:] for k in facts if k.startswith("cs.") and k.count(".") == 1]
dl_addrs = sorted(int(l["address"], 16) for l in dl["locks"])
owners_in_cycle = {int(facts["cs.%s.owner" % n]) for n in cs_names}
assert set(dl["thread_ids"]) == owners_in_cycle
for n in cs_names:
    addr = int(facts["cs." + n], 16)
    l = locks[addr]
    # The variables: main's statics cs1/cs2 (hang_locks), cs_session/cs_cache (w3wp).
    var = n if n.startswith("cs") else "cs_" + n
    assert l["symbol"].endswith("!main::" + var), (n, l["symbol"])
    assert l["locked"] and l["owner_thread_id"] == int(facts["cs.%s.owner" % n]), l
    assert sorted(l["waiting_thread_ids"]) == tids("cs.%s.waiters" % n), (n, l)
    for w in tids("cs.%s.waiters" % n):
        assert waits[w]["state"] == "critical_section" and int(waits[w]["critical_section"], 16) == addr
        assert waits[w]["owner_thread_id"] == int(facts["cs.%s.owner" % n])
assert dl_addrs == sorted(int(facts["cs." + n], 16) for n in cs_names if int(facts["cs." + n], 16) in dl_addrs)
# The named event: its waiters, by handle and name.
ev = facts["event.name"].split("\\", 1)[1]
for w in tids("event.waiters"):
    h = waits[w]["handles"]
    assert waits[w]["state"] == "objects" and h, waits[w]
    assert int(h[0]["handle"], 16) == int(facts["event.handle"], 16), h
    assert h[0]["type"] == "Event" and h[0]["name"].endswith("\\" + ev), h
# Each role's state.
states = {"sleep": "sleep", "spin": "running", "thread_join": "objects", "critical_section": "critical_section",
          "event": "objects", "socket": "socket", "dllmain": "objects", "loader_lock": "loader_lock"}
for k, v in facts.items():
    if k.startswith("wait."):
        tid = int(facts["tid." + k[5:]])
        assert waits[tid]["state"] == states[v], (k, waits[tid])
        if v == "thread_join":
            assert waits[tid]["handles"] and all(h["type"] == "Thread" for h in waits[tid]["handles"])
# Findings in DebugDiag's order: the deadlock first, naming both locks; the
# spinner's CPU; the event by name.
f = d["findings"]
assert f[0]["severity"] == "error" and f[0]["title"].startswith("Deadlock"), f[0]
for l in dl["locks"]:
    assert l["symbol"] in f[0]["detail"], (l, f[0])
spinners = [int(facts["tid." + k[5:]]) for k, v in facts.items() if k.startswith("wait.") and v == "spin"]
cpu = [x for x in f if "using a CPU" in x["title"]]
assert spinners and [("tid %d)" % t) in cpu[0]["title"] for t in spinners] == [True], cpu
assert len(cpu) == 1, cpu
assert any(ev in x["title"] for x in f), "no finding names the event"
# IIS: the share of request (thread-pool) threads blocked.
if "workers" in facts:
    workers = facts["workers"].split(",")
    blocked = sum(1 for i in range(len(workers)) if facts["wait.worker%d" % i] != "spin")
    want = "%d of %d request threads" % (blocked, len(workers))
    assert any(x["title"].startswith(want) for x in f), (want, [x["title"] for x in f])
# The loader lock: held by a thread stuck in a DllMain, wanted by another.
if "loader_lock" in facts:
    ll = locks[int(facts["loader_lock"], 16)]
    assert ll["loader_lock"] and ll["locked"] and ll["owner_thread_id"] == int(facts["loader_lock.owner"]), ll
    assert sorted(ll["waiting_thread_ids"]) == tids("loader_lock.waiters")
    lf = [x for x in f if "loader lock" in x["title"]]
    assert lf and lf[0]["severity"] == "error", lf
    assert "DllMain" in lf[0]["detail"] or "lab_dllmain_wait" in lf[0]["detail"], lf
# IIS: the worker's application pool and CLR version from its command line.
if "apppool" in facts:
    assert d["iis"]["w3wp"] and d["iis"]["app_pool"] == facts["apppool"], d["iis"]
    assert d["iis"]["clr_version"] == facts["clr_version"]
    assert any(x["title"] == 'IIS worker process for application pool "%s"' % facts["apppool"] for x in f)
    mods = [r["module"] for r in d["iis"]["runtimes"]]
    assert facts["module.engine"] in mods and facts["module.threadpool"] in mods, mods
else:
    assert d["iis"] is None or not d["iis"]["w3wp"]
ranks = [x["title"] for x in f]
assert ranks.index(cpu[0]["title"]) > 0
PY
    # The text report says the same, and the wait chains end in the deadlock.
    run analyze -y "$bin" "${imgs[@]}" "$dump"
    has_re "$out" '^  \[error\] Deadlock: threads ~[0-9]+ \(tid [0-9]+\) and ~[0-9]+ \(tid [0-9]+\) wait for each other'
    has_re "$out" ': DEADLOCK$'
    has_re "$out" "^Locks \\(3 critical sections found, [0-9]+ examined\\)\$"
    pool=$(fact apppool "$f")
    [ -n "$pool" ] && has_line "$out" "  App pool      $pool"
    # !locks: both locks, locked, with their owners and waiters; !cs; ln.
    for key in $(grep -oE '^cs\.[a-z0-9]+=' "$f" | tr -d '='); do
        addr=$(fact "$key" "$f")
        owner=$(fact "$key.owner" "$f")
        run -y "$bin" "${imgs[@]}" -c "!locks; !cs $addr; ln $addr" "$dump"
        sym=$(grep -oE "^Critical section   = [0-9a-f]{16} \((.*)\)$" <<<"$out" | sed -E 's/.*\((.*)\)$/\1/')
        [ -n "$sym" ] || fail "!cs $addr: no symbol"
        has_line "$out" "$(printf 'CritSec %s at %08x`%08x' "$sym" $((addr >> 32)) $((addr & 0xffffffff)))"
        has_line "$out" "$(printf 'OwningThread       = %016x' "$owner")"
        has_line "$out" "Exact matches:"
        has_line "$out" "    $sym"
        for w in $(fact "$key.waiters" "$f" | tr ',' ' '); do
            has_re "$out" "$(printf '^    waiting: thread [0-9]+ \\(tid %x\\) at ' "$w")"
        done
    done
    checked=$((checked + 1))
done
[ "$checked" = 3 ] || fail "only $checked hang dumps checked"
finish
