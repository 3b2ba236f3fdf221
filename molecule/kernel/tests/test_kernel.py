# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""State of the kernel lab hosts after converge + side_effect, read inside the containers
(podman exec, no Python needed on the hosts).

Real: rpm, dnf, dpkg, apt, grub-editenv, at/atq, the files. LAB STAND-INS (see
lab/images/kernel-common/overlay/usr/local/share/kcrash-lab/README-kernel): `grubby`
(kernel-dnf; Debian has none: a small BLS + grub-editenv imitation, so `grubby
--default-kernel` checks our stand-in, not Red Hat's grubby), `update-grub` (kernel-apt),
`uname` (the lab's "running" kernel), `shutdown`/`reboot` (they only log the request: the
reboot checks read that log)."""

import pytest


def kind(host):
    return host.check_output("uname -n")


def only(host, *kinds):
    if kind(host) not in kinds:
        pytest.skip("not a %s host" % "/".join(kinds))


def test_dnf_installed_with_real_rpm(host):
    only(host, "kernel-dnf")
    out = host.check_output("rpm -q kernel")
    assert "kernel-3.10.0-1160.119.1.el7.x86_64" in out and "kernel-3.10.0-957.el7.x86_64" in out
    assert host.file("/boot/vmlinuz-3.10.0-1160.119.1.el7.x86_64").exists


def test_dnf_boot_default(host):
    only(host, "kernel-dnf")
    assert host.check_output("grubby --default-kernel") == "/boot/vmlinuz-3.10.0-1160.119.1.el7.x86_64"
    env = host.check_output("grub-editenv /boot/grub2/grubenv list")
    assert "saved_entry=kcrashlab-3.10.0-1160.119.1.el7.x86_64" in env


def test_dnf_reboot_now_reached_the_reboot_call(host):
    only(host, "kernel-dnf")
    log = host.file("/var/log/kcrash-lab-reboot.log").content_string
    assert "shutdown -r now" in log and "REBOOT REQUESTED" in log


def test_at_queue_empty_after_cancel(host):
    only(host, "kernel-dnf", "kernel-apt")
    assert host.check_output("atq") == ""


def test_apt_installed_with_real_dpkg(host):
    only(host, "kernel-apt")
    out = host.check_output("dpkg-query -W -f '${Package} ${Status}\\n' linux-image-6.1.0-99-amd64")
    assert out == "linux-image-6.1.0-99-amd64 install ok installed"


def test_apt_grub_default_pinned(host):
    only(host, "kernel-apt")
    env = host.check_output("grub-editenv /boot/grub/grubenv list")
    assert ("saved_entry=Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-99-amd64"
            in env)
    assert "GRUB_DEFAULT=saved" in host.file("/etc/default/grub").content_string
    backup = host.file("/var/backups/kcrash-nfqueue/etc_default_grub")
    assert backup.exists and "GRUB_DEFAULT=0" in backup.content_string


def test_apt_shutdown_window_was_scheduled_then_cancelled(host):
    only(host, "kernel-apt")
    log = host.file("/var/log/kcrash-lab-reboot.log").content_string
    assert "shutdown -r 01:15 KCRASH-NFQUEUE-REBOOT" in log
    assert "cancelled" in log
    assert not host.file("/run/kcrash-reboot.info").exists


def test_apt_host_has_no_python(host):
    only(host, "kernel-apt")
    assert host.run("command -v python3 || command -v python").rc != 0


def test_el6_untouched(host):
    only(host, "incident")
    assert not host.file("/var/backups/kcrash-nfqueue").exists
    assert not host.file("/var/log/kcrash-lab-reboot.log").exists
