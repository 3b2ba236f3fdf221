# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kdump on a host: the one shell section that reads it and the one parser.

The detection probe (``crash_evidence.kdump``), the kernel_upgrade read trip (the ``kdump``
pre-check) and the sosreport reader (which writes the same ``key=value`` text from the
report's files) all go through :func:`script` / :func:`parse`. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_LINE_RE = re.compile(r"^([A-Za-z0-9_.-]+)=(.*)$")
# Where the distributions keep kdump's configuration (kexec-tools; Debian's kdump-tools).
CONF_FILES = ("/etc/kdump.conf", "/etc/default/kdump-tools")
STATES = ("loaded", "configured_not_loaded", "not_configured")


def script():
    """POSIX sh printing ``key=value`` lines: ``kexec_crash_loaded``, ``kexec_crash_size``,
    ``kdump_conf``, ``kdump_tools_conf``, ``crashkernel`` (of /proc/cmdline), ``manager`` and
    ``service.<name>`` (systemd ``is-active`` or the SysV ``status`` first line). Exits 0."""
    return (
        "kc_v=''; read -r kc_v < /sys/kernel/kexec_crash_loaded 2>/dev/null; printf 'kexec_crash_loaded=%s\\n' \"$kc_v\"\n"
        "kc_v=''; read -r kc_v < /sys/kernel/kexec_crash_size 2>/dev/null; printf 'kexec_crash_size=%s\\n' \"$kc_v\"\n"
        "if [ -e /etc/kdump.conf ]; then printf 'kdump_conf=1\\n'; else printf 'kdump_conf=0\\n'; fi\n"
        "if [ -e /etc/default/kdump-tools ]; then printf 'kdump_tools_conf=1\\n'; else printf 'kdump_tools_conf=0\\n'; fi\n"
        "kc_ck=''\n"
        "kc_v=''; read -r kc_v < /proc/cmdline 2>/dev/null; set -f\n"
        "for w in $kc_v; do case \"$w\" in crashkernel=*) kc_ck=\"${w#crashkernel=}\";; esac; done\n"
        "printf 'crashkernel=%s\\n' \"$kc_ck\"\n"
        "if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then\n"
        "  printf 'manager=systemd\\n'\n"
        "  printf 'service.kdump=%s\\n' \"$(systemctl is-active kdump 2>/dev/null)\"\n"
        "  printf 'service.kdump-tools=%s\\n' \"$(systemctl is-active kdump-tools 2>/dev/null)\"\n"
        "elif [ -x /etc/init.d/kdump ] && command -v service >/dev/null 2>&1; then\n"
        "  printf 'manager=sysv\\n'\n"
        "  printf 'service.kdump=%s\\n' \"$(service kdump status 2>&1 | head -n 1)\"\n"
        "else printf 'manager=none\\n'; fi\n"
        "exit 0"
    )


def _service_active(services):
    active = None
    for v in services.values():
        if not v:
            continue
        low = v.lower()
        if low == "active" or "operational" in low and "not operational" not in low or "running" in low and "not running" not in low:
            return True
        active = False
    return active


def parse(text):
    """:func:`script` output -> ``{crash_kernel_loaded, crash_kernel_size, kdump_conf,
    kdump_tools_conf, conf, crashkernel, service_manager, services, service_active, state}``.

    ``crash_kernel_loaded`` is None when the kernel does not say (no sysfs file);
    ``conf`` lists the configuration files present; ``state`` is "loaded" (a crash kernel
    is loaded), "configured_not_loaded" (configuration or a ``crashkernel=`` reservation,
    nothing loaded) or "not_configured"."""
    kv = {}
    for line in (text or "").split("\n"):
        m = _LINE_RE.match(line.strip())
        if m:
            kv[m.group(1)] = m.group(2)
    loaded = kv.get("kexec_crash_loaded", "").strip()
    services = dict((k[len("service."):], v.strip() or None) for k, v in kv.items() if k.startswith("service."))
    size = kv.get("kexec_crash_size", "").strip()
    conf = [p for p, key in zip(CONF_FILES, ("kdump_conf", "kdump_tools_conf")) if kv.get(key) == "1"]
    info = {
        "crash_kernel_loaded": True if loaded == "1" else False if loaded == "0" else None,
        "crash_kernel_size": int(size) if size.isdigit() else None,
        "kdump_conf": kv.get("kdump_conf") == "1",
        "kdump_tools_conf": kv.get("kdump_tools_conf") == "1",
        "conf": conf,
        "crashkernel": kv.get("crashkernel") or None,
        "service_manager": kv.get("manager"),
        "services": services,
        "service_active": _service_active(services),
    }
    if info["crash_kernel_loaded"]:
        info["state"] = "loaded"
    elif conf or info["crashkernel"]:
        info["state"] = "configured_not_loaded"
    else:
        info["state"] = "not_configured"
    return info
