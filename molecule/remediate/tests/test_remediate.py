"""molecule/remediate: the fleet after remediate.yml, then drift detection for real.

Host checks run as `podman exec <container> /bin/sh -c ...` (molecule/shared/kcrash_testinfra.py).
The drift tests run the collection's remediate.yml with ansible-playbook against the scenario's
own inventory; they run once (no `host` fixture) and in file order.

Stand-in: the incident hosts' LRO state comes from the lab's `ethtool` stand-in (a container's
veth cannot have LRO on); iptables, ipset, files and everything else are real.
"""

import json
import os
import re
import subprocess

import pytest

SEED_NFQUEUE = ("-p tcp -m multiport --dports 80,443 -m set --match-set lee src "
                "-m string --string t.test.com --algo kmp --from 0 --to 1480 -j NFQUEUE")
HERE = os.path.dirname(os.path.abspath(__file__))
CONVERGE = os.path.join(HERE, "..", "converge.yml")
REPORTS = os.environ.get("KCRASH_REPORT_DIR") or os.path.join(
    os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "reports")
DRIFTING = ("remediate-incident", "remediate-incident-drop")


def container(host):
    """Container / inventory name of a testinfra host (podman or ansible backend)."""
    backend = host.backend
    return getattr(backend, "name", None) or getattr(backend, "host", None)


def inventory():
    inv = os.environ.get("MOLECULE_INVENTORY_FILE")
    if inv:
        return os.path.dirname(inv)
    return os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory")


def podman(name, command):
    return subprocess.run(["podman", "exec", name, "/bin/sh", "-c", command],
                          capture_output=True, text=True, timeout=60, check=False)


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def remediate(*extra):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    res = subprocess.run(["ansible-playbook", "-i", inventory(), CONVERGE] + list(extra),
                         capture_output=True, text=True, timeout=600, env=env, check=False)
    out = ANSI.sub("", res.stdout)
    assert res.returncode == 0, out[-6000:] + res.stderr[-3000:]
    return out


def recap(stdout):
    out = {}
    for m in re.finditer(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                         stdout, re.M):
        out[m.group(1)] = {"changed": int(m.group(3)), "failed": int(m.group(5))}
    return out


def report(mode):
    """The latest report of ``mode``, validated against docs/schema/report-v1.json."""
    import jsonschema
    with open(os.path.join(REPORTS, "remediation-%s.json" % mode)) as f:
        rep = json.load(f)
    with open(os.path.join(HERE, "..", "..", "..", "docs", "schema", "report-v1.json")) as f:
        jsonschema.validate(rep, json.load(f))
    return rep


# ------------------------------------------------------------------ state after converge

def test_initial_check_reported_drift_on_the_exposed_hosts_only():
    """Written by molecule's `check` step (before converge)."""
    rep = report("check")
    by = {h["host"]: h for h in rep["hosts"]}
    assert rep["mode"] == "check"
    assert {h for h, r in by.items() if r["outcome"] == "drift"} == set(DRIFTING)
    assert by["remediate-incident"]["actions"] == ["offload"]
    assert by["remediate-incident-drop"]["actions"] == ["drop"]
    assert by["remediate-incident"]["crashed_before"] is True
    for other in ("remediate-modern", "remediate-bare", "remediate-clean"):
        assert by[other]["outcome"] == "compliant", by[other]
    assert os.path.exists(os.path.join(REPORTS, "remediation-check.html"))


def test_incident_lro_off_now_and_at_boot(host):
    if container(host) != "remediate-incident":
        pytest.skip("offload host only")
    assert "large-receive-offload: off" in host.check_output("ethtool -k eth0")
    ifcfg = host.file("/etc/sysconfig/network-scripts/ifcfg-eth0").content_string
    assert re.search(r'ETHTOOL_OPTS="-G eth0 rx 4096; -K eth0 lro off"', ifcfg), ifcfg
    # offload keeps the firewall as it was
    assert "-j NFQUEUE" in host.check_output("iptables-save -t mangle")


def test_drop_host_rule_is_drop_live_and_saved(host):
    if container(host) != "remediate-incident-drop":
        pytest.skip("drop host only")
    live = host.check_output("iptables-save -t mangle")
    assert "-j NFQUEUE" not in live
    assert re.search(r"-A PREROUTING .*--match-set lee src .*--string \"?t\.test\.com\"? .*-j DROP", live), live
    saved = host.file("/etc/sysconfig/iptables").content_string
    assert "-j NFQUEUE" not in saved and "-j DROP" in saved
    # LRO untouched by the drop strategy
    assert "large-receive-offload: on" in host.check_output("ethtool -k eth0")


def test_hosts_not_exposed_were_left_alone(host):
    name = container(host)
    if name in DRIFTING:
        pytest.skip("exposed host")
    rules = host.check_output("iptables-save")
    if name == "remediate-modern":
        assert "-A FORWARD -j NFQUEUE --queue-balance 0:1 --queue-bypass" in rules
        assert "generic-receive-offload: on" in host.check_output("ethtool -k lab0")
    if name == "remediate-bare":
        assert "--queue-num 5" in rules
    assert not host.file("/var/backups/kcrash-nfqueue").exists


# ------------------------------------------------------------------ drift detection, in order

def test_check_after_converge_reports_zero_drift():
    out = remediate("--check", "--diff")
    counts = recap(out)
    assert set(DRIFTING) <= set(counts)
    assert all(c["changed"] == 0 and c["failed"] == 0 for c in counts.values()), counts
    assert report("check")["drift"] == 0


def test_drift_is_caught_by_check_mode_and_nothing_is_changed():
    assert podman("remediate-incident", "ethtool -K eth0 lro on").returncode == 0
    res = podman("remediate-incident-drop", "iptables -t mangle -I PREROUTING " + SEED_NFQUEUE)
    assert res.returncode == 0, res.stderr
    out = remediate("--check", "--diff")
    counts = recap(out)
    for h in DRIFTING:
        assert counts[h]["changed"] >= 1, (h, counts)
    for h in set(counts) - set(DRIFTING) - {"localhost"}:
        assert counts[h]["changed"] == 0, (h, counts)
    # the exact diffs are shown
    assert re.search(r"^-lro: on$", out, re.M) and re.search(r"^\+lro: off$", out, re.M), out[-5000:]
    assert "NFQUEUE" in out and "DROP" in out
    rep = report("check")
    assert rep["drift"] == 2
    assert {h["host"] for h in rep["hosts"] if h["outcome"] == "drift"} == set(DRIFTING)
    # check mode changed nothing
    assert "large-receive-offload: on" in podman("remediate-incident", "ethtool -k eth0").stdout
    assert "-j NFQUEUE" in podman("remediate-incident-drop", "iptables-save -t mangle").stdout


def test_a_real_run_fixes_the_drift_and_reports_before_after():
    out = remediate()
    counts = recap(out)
    for h in DRIFTING:
        assert counts[h]["changed"] >= 1 and counts[h]["failed"] == 0, (h, counts)
    rep = report("apply")
    by = {h["host"]: h for h in rep["hosts"]}
    for h in DRIFTING:
        assert by[h]["outcome"] == "remediated", by[h]
        assert (by[h]["verdict"], by[h]["verdict_after"]) == ("exposed", "not_exposed")
    assert "large-receive-offload: off" in podman("remediate-incident", "ethtool -k eth0").stdout
    assert "-j NFQUEUE" not in podman("remediate-incident-drop", "iptables-save -t mangle").stdout


def test_final_check_reports_zero_drift():
    counts = recap(remediate("--check", "--diff"))
    assert all(c["changed"] == 0 for c in counts.values()), counts
    assert report("check")["drift"] == 0
