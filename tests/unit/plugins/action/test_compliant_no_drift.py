# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""--check on a lab host whose persistence file is already compliant in any of the ways the
tool accepts, with the runtime feature already off: no drift (nothing changed, no file diff).
Lab containers kver-drift-incident (el6 replica: ifcfg, initscripts; its ethtool stand-in keeps
the NIC's state) and kver-drift-modern (Debian 12: ifupdown with the ethtool hook, a real veth
whose GRO toggles for real). The other four back ends on kver-drift-modern with the back end
forced (NetworkManager not running: keyfile edit; the .link file, the netplan file and the
collection's own udev rule file in place), each file removed after its case. Issue 13."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import udev

from conftest import bundled_collections, lab_hosts, podman, run_play_json

IFCFG = "/etc/sysconfig/network-scripts/ifcfg-eth0"
IFCFG_VARIANTS = [
    ('-G eth0 rx 4096; -K eth0 lro off; -K eth0 rx off', ["lro"]),
    ('-K eth0 gro off; -K eth0 lro off', ["lro", "gro"]),
    ('-K ${DEVICE} lro off', ["lro"]),
    ('--offload eth0 lro off', ["lro"]),
    ('-K eth0 lro on; -G eth0 rx 4096; -K eth0 large-receive-offload off', ["lro"]),
]
IFUPDOWN_VARIANTS = [
    "post-up /usr/sbin/ethtool -K lab0 gro off",
    "up ethtool --offload $IFACE gro off",
    "pre-up for f in gro; do /sbin/ethtool -K $IFACE $f off; done",
    "offload-gro off",
]

# (back end, path, mode, already-compliant text): spellings the real readers take as off
# (NetworkManager, netplan generate, systemd and udevadm check them in tests/unit/plugins/
# module_utils/persist: test_nm.py, test_netplan.py, test_oracle_properties.py)
NM_FILE = "/etc/NetworkManager/system-connections/lab0.nmconnection"
LINK_FILE = "/etc/systemd/network/10-lab0.link"
NETPLAN_FILE = "/etc/netplan/01-lab0.yaml"
UDEV_RULE = 'ACTION=="add", SUBSYSTEM=="net", KERNEL=="lab0", RUN+="%s -K lab0 %s"\n'
OTHER_VARIANTS = [
    ("nm", NM_FILE, "600", "[connection]\nid=lab0\ntype=ethernet\ninterface-name=lab0\n\n[ethtool]\nfeature-gro=false\n"),
    ("nm", NM_FILE, "600", "[connection]\nid=lab0\ntype=ethernet\ninterface-name=lab0\n[ethtool]\nfeature-gro = 0\n"
                           "[ipv4]\nmethod=auto\n[ethtool]\nring-rx=512\n"),
    ("networkd", LINK_FILE, "644", "[Match]\nOriginalName=lab0\n\n[Link]\nGenericReceiveOffload=no\n"),
    ("networkd", LINK_FILE, "644", "# admin file\n[Match]\nOriginalName=lab0\n[Link]\nGenericReceiveOffload=true\n"
                                   "MTUBytes=1500\n[Link]\nGenericReceiveOffload = off\n"),
    ("netplan", NETPLAN_FILE, "600", "network:\n  version: 2\n  ethernets:\n    lab0:\n      dhcp4: false\n"
                                     "      generic-receive-offload: false\n"),
    ("netplan", NETPLAN_FILE, "600", "network:\n    version: 2\n    ethernets:\n        lab0:\n"
                                     "            generic-receive-offload: yes\n"
                                     "            generic-receive-offload: 'off'  # vendor advice\n"),
    ("udev", udev.PATH, "644", udev.HEADER + UDEV_RULE % ("/sbin/ethtool", "gro off")),
    ("udev", udev.PATH, "644", "# admin\n" + UDEV_RULE % ("/usr/sbin/ethtool", "gro on generic-receive-offload off")),
]


@pytest.fixture(scope="module")
def lab():
    with lab_hosts("kver-drift", ("incident", "modern")) as names:
        yield names


def _check(tmp_path, name, args):
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    labhost:\n      ansible_connection: containers.podman.podman\n"
                   "      ansible_host: %s\n" % name)
    rc, out = run_play_json(tmp_path, [{"name": "offload", "kcrash.nfqueue.offload": args}], inventory=str(inv),
                            extra=["--check", "--diff"], collections=bundled_collections())
    return rc, out["plays"][0]["tasks"][0]["hosts"]["labhost"]


def _sh(name, script):
    return podman("exec", name, "sh", "-c", script).stdout


@pytest.mark.parametrize("opts,features", IFCFG_VARIANTS, ids=[v[0] for v in IFCFG_VARIANTS])
def test_compliant_ifcfg_shows_no_drift(tmp_path, lab, opts, features):
    name = lab["incident"]
    text = 'DEVICE=eth0\nBOOTPROTO=none\nONBOOT=yes\nETHTOOL_OPTS="%s"\n' % opts
    _sh(name, "printf '%%s' '%s' > %s && ethtool -K eth0 %s" % (
        text.replace("'", "'\\''"), IFCFG, " ".join("%s off" % f for f in features)))
    rc, res = _check(tmp_path, name, {"interfaces": ["eth0"], "features": features})
    assert rc == 0, res
    assert res["changed"] is False, res
    assert [f["action"] for f in res["files"]] == ["none"], res["files"]
    assert not [d for d in res.get("diff") or [] if d.get("before_header") == IFCFG]
    assert _sh(name, "cat %s" % IFCFG) == text


@pytest.mark.parametrize("line", IFUPDOWN_VARIANTS)
def test_compliant_ifupdown_shows_no_drift(tmp_path, lab, line):
    name = lab["modern"]
    _sh(name, "sed -i -e '/offload-gro\\|offload-gso\\|ethtool/d' /etc/network/interfaces && "
              "printf '    %%s\\n' '%s' >> /etc/network/interfaces && ethtool -K lab0 gro off"
        % line.replace("'", "'\\''"))
    before = _sh(name, "cat /etc/network/interfaces")
    assert line in before
    rc, res = _check(tmp_path, name, {"interfaces": ["lab0"], "features": ["gro"]})
    assert rc == 0, res
    assert res["changed"] is False, res
    assert [f["action"] for f in res["files"]] == ["none"], res["files"]
    assert _sh(name, "cat /etc/network/interfaces") == before


@pytest.mark.parametrize("backend,path,mode,text", OTHER_VARIANTS,
                         ids=["%s-%d" % (v[0], i) for i, v in enumerate(OTHER_VARIANTS)])
def test_compliant_file_of_the_other_back_ends_shows_no_drift(tmp_path, lab, backend, path, mode, text):
    name = lab["modern"]
    _sh(name, "mkdir -p %s && printf '%%s' '%s' > %s && chmod %s %s && ethtool -K lab0 gro off" % (
        path.rsplit("/", 1)[0], text.replace("'", "'\\''"), path, mode, path))
    try:
        rc, res = _check(tmp_path, name, {"interfaces": ["lab0"], "features": ["gro"], "backend": backend})
        assert rc == 0, res
        assert res["changed"] is False, res
        assert [(f["path"], f["action"]) for f in res["files"]] == [(path, "none")], res["files"]
        assert _sh(name, "cat %s" % path) == text
    finally:
        _sh(name, "rm -f %s" % path)
