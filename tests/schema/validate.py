#!/usr/bin/env python3
"""Checks a replay's two outputs against each other and their schemas.

    validate.py NATIVE_SCHEMA [--suricata SCHEMA] DIR

DIR holds NAME.events (egressd's native events) and NAME.eve (the --eve
file of the same replay) for each case. Every native line must validate
against NATIVE_SCHEMA (the project's own, schema/egressd-events.schema.json);
every EVE line against Suricata's EVE schema when --suricata names one
(../shared/compat/ holds a copy; without it the checks below still run).
Whatever the schemas say, the EVE file must hold the same events as the
native stream: one alert per verdict with its id, one flow record per flow
with its counters under flow{}, Suricata's timestamp form, Suricata's
lower-case app_proto, nDPI's label under ndpi, and a signature_id that this
script computes again from the README's rule.
"""
import glob
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate.py: python3 lacks jsonschema (Debian: python3-jsonschema)")

SURICATA_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$")
RULE_BLOCKS = ["MINE", "P2P", "RDP", "TOR", "TUN", "VPN"]
CATS = ["none", "p2p", "mining", "remote_access", "proxy", "dos", "scan",
        "bruteforce"]


def fnv1a(s):
    h = 2166136261
    for b in s.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def signature_id(v):
    """The README's rule for alert.signature_id, from the native verdict."""
    ev = v["evidence"]
    if "detector" in ev:
        return 8400000 + fnv1a(ev["detector"]) % 100000
    if ev["decided_by"] == "signature" and ev.get("signatures"):
        rid = ev["signatures"][0]["id"]
        m = re.match(r"^(.*)-(\d+)$", rid)
        if m and m.group(1) in RULE_BLOCKS and int(m.group(2)) < 10000:
            return 8200000 + 10000 * (RULE_BLOCKS.index(m.group(1)) + 1) + int(m.group(2))
        return 8500000 + fnv1a(rid) % 500000
    if ev["decided_by"] == "heuristic" and "heuristic" in ev:
        return 8300000 + fnv1a(ev["heuristic"]["name"]) % 100000
    return 8100000 + CATS.index(v["category"])


def load(path, validator, errors, what):
    out = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        ev = json.loads(line)
        if validator is not None:
            for e in validator.iter_errors(ev):
                errors.append(f"{path}:{n}: {what}: {e.json_path}: {e.message[:200]}")
                break
        out.append(ev)
    return out


def compare(name, native, eve, errors):
    def bad(msg):
        errors.append(f"{name}: {msg}")

    verdicts = {v["verdict_id"]: v for v in native if v["event_type"] == "verdict"}
    flows = {f["flow_id"]: f for f in native if f["event_type"] == "flow"}
    alerts = [e for e in eve if e["event_type"] == "alert"]
    eflows = [e for e in eve if e["event_type"] == "flow"]
    if len(alerts) != len(verdicts):
        bad(f"{len(alerts)} alerts for {len(verdicts)} verdicts")
    if len(eflows) != len(flows):
        bad(f"{len(eflows)} EVE flows for {len(flows)} flows")
    if sum(e["event_type"] == "stats" for e in eve) != \
            sum(e["event_type"] == "stats" for e in native):
        bad("not one EVE stats record per stats event")
    for e in eve:
        if not SURICATA_TS.match(e["timestamp"]):
            bad(f"timestamp {e['timestamp']}")
        if "vlan" in e and not isinstance(e["vlan"], list):
            bad(f"vlan {e['vlan']!r} is not a list")
        ap = e.get("app_proto")
        if ap is not None and (ap != ap.lower() or "." in ap):
            bad(f"app_proto {ap!r} is not a lower-case protocol name")
    for a in alerts:
        md = a["alert"]["metadata"]
        v = verdicts.get(md["verdict_id"][0])
        if v is None:
            bad(f"alert {md['verdict_id']} has no verdict")
            continue
        if a["alert"]["signature"] != v["reason"]:
            bad(f"alert signature {a['alert']['signature']!r}")
        if a["alert"]["signature_id"] != signature_id(v):
            bad(f"signature_id {a['alert']['signature_id']}, want {signature_id(v)} for {v['evidence']}")
        if a["alert"]["severity"] != {"high": 1, "medium": 2, "low": 3}[v["severity"]]:
            bad(f"severity {a['alert']['severity']} for {v['severity']}")
        if md["vm"] != [v["vm"]] or md["confidence"] != [v["confidence"]] or \
                md["evidence"] != v["evidence"]:
            bad(f"alert metadata {md} for {v}")
        if v.get("tenant") and md.get("tenant") != [v["tenant"]]:
            bad(f"tenant {md.get('tenant')} for {v['tenant']}")
        if a.get("community_id") != v.get("community_id"):
            bad(f"community_id {a.get('community_id')} for {v.get('community_id')}")
        if v["flow_id"]:
            if a.get("flow_id") != v["flow_id"]:
                bad(f"alert flow_id {a.get('flow_id')} for {v['flow_id']}")
            if a["ndpi"].get("proto") != v["evidence"].get("app_proto"):
                bad(f"ndpi {a['ndpi']} for {v['evidence']}")
    for e in eflows:
        f = flows.get(e["flow_id"])
        if f is None:
            bad(f"EVE flow {e['flow_id']} is not a flow")
            continue
        for k in ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient"):
            if e["flow"][k] != f[k]:
                bad(f"flow {f['flow_id']}: {k} {e['flow'][k]} for {f[k]}")
        if e["flow"]["start"].replace("+0000", "Z") != f["start"] or \
                e["flow"]["end"].replace("+0000", "Z") != f["end"]:
            bad(f"flow {f['flow_id']}: start/end")
        if e["ndpi"].get("proto") != f["app_proto"]:
            bad(f"flow {f['flow_id']}: ndpi {e['ndpi']} for {f['app_proto']}")
        if e.get("community_id") != f.get("community_id"):
            bad(f"flow {f['flow_id']}: community_id")
        for k in ("src_ip", "dest_ip", "proto"):
            if str(e[k]) != str(f[k]):
                bad(f"flow {f['flow_id']}: {k} {e[k]} for {f[k]}")
    return len(eve)


def main():
    args = sys.argv[1:]
    if len(args) not in (2, 4) or (len(args) == 4 and args[1] != "--suricata"):
        sys.exit(__doc__)
    native_schema = json.load(open(args[0]))
    jsonschema.Draft202012Validator.check_schema(native_schema)
    nv = jsonschema.Draft202012Validator(native_schema)
    sv = None
    if len(args) == 4:
        sv = jsonschema.Draft202012Validator(json.load(open(args[2])))
    d = args[-1]
    errors = []
    nn = ne = cases = 0
    for path in sorted(glob.glob(os.path.join(d, "*.events"))):
        name = os.path.basename(path)[:-len(".events")]
        native = load(path, nv, errors, "native schema")
        eve = load(os.path.join(d, name + ".eve"), sv, errors, "Suricata schema")
        compare(name, native, eve, errors)
        nn += len(native)
        ne += len(eve)
        cases += 1
    for e in errors[:40]:
        print("FAIL", e)
    what = "Suricata's schema" if sv else "no Suricata schema (../shared/compat absent)"
    print(f"schema: {cases} replays, {nn} native events valid against the "
          f"project's schema, {ne} EVE records against {what}; "
          f"{len(errors)} problems")
    sys.exit(1 if errors or cases == 0 else 0)


if __name__ == "__main__":
    main()
