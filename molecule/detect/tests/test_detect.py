"""Verify kcrash.nfqueue.detect on the lab: the facts and report the converge kept on the
controller, and the hosts themselves (podman exec, /bin/sh; see molecule/shared)."""

import json
import os

import pytest

REPORT_DIR = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"), "kcrash-report")


def kind(host):
    return host.check_output("uname -n")


def facts_of(host):
    path = os.path.join(REPORT_DIR, "facts-%s.json" % kind(host))
    with open(path) as f:
        return json.load(f)


def report():
    """The latest report, validated against docs/schema/report-v1.json."""
    import jsonschema
    with open(os.path.join(REPORT_DIR, "kcrash-exposure.json")) as f:
        rep = json.load(f)
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "schema", "report-v1.json")) as f:
        jsonschema.validate(rep, json.load(f))
    return rep


def test_one_round_trip_every_key(host):
    f = facts_of(host)
    for key in ("kernel", "os", "nfqueue_rules", "saved_nfqueue_rules", "interfaces", "forwarding",
                "crash_evidence", "exposure", "probe"):
        assert key in f
    assert f["probe"]["round_trips"] == 1
    # a container may not read the kernel ring buffer (no CAP_SYSLOG): reported per item
    assert [e["item"] for e in f["probe"]["errors"] if e["item"] != "dmesg"] == []
    assert "eth0" in f["interfaces"] and f["interfaces"]["eth0"]["features"] is not None


def test_incident_exposed_with_reasons_and_crash_evidence(host):
    if kind(host) != "incident":
        pytest.skip("incident only")
    f = facts_of(host)
    e = f["exposure"]
    assert e["level"] == "exposed"
    assert e["legs"] == {"kernel": "live", "rules": "live", "lro": "live"}
    reasons = "\n".join(e["reasons"])
    assert "lro: eth0" in reasons and "large-receive-offload on" in reasons
    assert "mangle PREROUTING" in reasons and "-j NFQUEUE" in reasons
    assert "2.6.32-358.el6.x86_64 (el6)" in reasons
    assert e["flagged"] is True
    assert "rip-nf_queue+0x98" in [h["signature"] for h in f["crash_evidence"]["vmcore"]]
    assert f["crash_evidence"]["wtmp_crashes"], "last -x crash record"
    assert f["crash_evidence"]["kdump"]["kdump_conf"] is True
    assert f["os"]["redhat_release"].startswith("Red Hat Enterprise Linux Server release 6.4")
    saved = f["saved_nfqueue_rules"]
    assert [(r["file"], r["table"], r["chain"]) for r in saved] == [("/etc/sysconfig/iptables", "mangle", "PREROUTING")]
    # what the probe saw is what the host has
    assert "large-receive-offload: on" in host.check_output("ethtool -k eth0")


def test_modern_not_exposed_rules_listed(host):
    if kind(host) != "modern":
        pytest.skip("modern only")
    f = facts_of(host)
    assert f["exposure"]["level"] == "not_exposed"
    assert f["kernel"]["code_vulnerable"] is False
    rules = f["nfqueue_rules"]
    assert sorted(r["family"] for r in rules) == ["ipv4", "ipv6"]
    for r in rules:
        assert r["chain"] == "FORWARD" and r["queue"]["balance"] == [0, 1] and r["queue"]["bypass"] is True
    assert f["forwarding"] == {"ipv4": True, "ipv6": True}


def test_bare_full_facts_without_python(host):
    if kind(host) != "bare":
        pytest.skip("bare only")
    assert host.run("command -v python3 || command -v python || command -v python2").rc != 0
    f = facts_of(host)
    assert f["kernel"]["release"] and f["os"]["id"]
    assert f["interfaces"]["eth0"]["features"]["lro"] is not None
    assert [r["rule"] for r in f["nfqueue_rules"]] == [
        "-A INPUT -p udp -m udp --dport 5000 -j NFQUEUE --queue-num 5"]
    assert f["exposure"]["level"] == "not_exposed"


def test_clean_not_exposed(host):
    if kind(host) != "clean":
        pytest.skip("clean only")
    f = facts_of(host)
    assert f["exposure"]["level"] == "not_exposed"
    assert f["nfqueue_rules"] == [] and f["saved_nfqueue_rules"] == []
    assert f["exposure"]["legs"]["rules"] == "none"


def test_fleet_report_written(host):
    rep = report()
    assert rep["total"] == 4
    by = dict((r["host"], r) for r in rep["hosts"])
    assert by["detect-incident"]["verdict"] == "exposed" and by["detect-incident"]["crashed_before"]
    assert rep["counts"]["verdict"] == {"exposed": 1, "not_exposed": 3} and rep["counts"]["changed"] == 0
    html = open(os.path.join(REPORT_DIR, "kcrash-exposure.html")).read()
    assert html.count("<tr class=") == 4
    csv_text = open(os.path.join(REPORT_DIR, "kcrash-exposure.csv")).read()
    assert csv_text.splitlines()[0].startswith("host,status,error,answered_at,verdict")
