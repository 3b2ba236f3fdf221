# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reboot scheduling over plain sh: probe text, parsers, plan, apply text. Pure, no I/O.

Every reboot this collection schedules carries the marker ``KCRASH-NFQUEUE-REBOOT`` so it
can be listed and cancelled later, whichever method scheduled it:

``at``           an at(1) job whose script holds ``# KCRASH-NFQUEUE-REBOOT id=<id> ...``
                 (listed with ``atq`` + ``at -c``, cancelled with ``atrm``)
``shutdown``     ``shutdown -r HH:MM``. With systemd it returns at once and is recorded in
                 /run/systemd/shutdown/scheduled (cancel: ``shutdown -c``); with sysvinit it
                 waits, so it runs in the background and its pid goes to /run/kcrash-reboot.pid
                 (cancel: ``shutdown -c`` and kill that pid). /run/kcrash-reboot.info records
                 id and time for both.
``systemd-run``  a transient timer ``kcrash-reboot-<id>.timer`` (``--on-calendar``); listed
                 with ``systemctl list-timers``, cancelled with ``systemctl stop``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import quote

MARKER = "KCRASH-NFQUEUE-REBOOT"
METHODS = ("auto", "at", "shutdown", "systemd-run")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}\Z")
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)\Z")
INFO_FILE = "/run/kcrash-reboot.info"
PID_FILE = "/run/kcrash-reboot.pid"


def validate_time(when):
    """``HH:MM`` (24 h, host local time) -> ``"HH:MM"`` normalised."""
    m = TIME_RE.match(when or "") if isinstance(when, str) else None
    if not m:
        raise KcrashInputError("reboot time", "%r is not HH:MM (24-hour, host local time)" % (when,))
    return "%02d:%02d" % (int(m.group(1)), int(m.group(2)))


def validate_id(ident):
    if not isinstance(ident, str) or not ID_RE.match(ident):
        raise KcrashInputError("reboot id", "%r: 1-40 characters from A-Z a-z 0-9 _ . -" % (ident,))
    return ident


# ----------------------------------------------------------------------- probe

def probe_sections(prefix=""):
    """``[(section name, shell text)]`` that list scheduled kcrash reboots and the tools."""
    secs = [
        ("reboot_tools",
         "for t in at atq atrm systemd-run systemctl shutdown reboot; do "
         "p=$(command -v \"$t\" 2>/dev/null) && printf '%s %s\\n' \"$t\" \"$p\"; done; "
         "if [ -d /run/systemd/system ]; then echo 'systemd running'; fi; "
         "if command -v atq >/dev/null 2>&1 && atq >/dev/null 2>&1; then echo 'atd reachable'; fi; :"),
        ("reboot_at_jobs",
         "command -v atq >/dev/null 2>&1 || exit 0; "
         "atq 2>/dev/null | while read -r n rest; do "
         "m=$(at -c \"$n\" 2>/dev/null | sed -n '/%s/{p;q;}'); "
         "[ -n \"$m\" ] && printf 'job\\t%%s\\t%%s\\t%%s\\n' \"$n\" \"$rest\" \"$m\"; "
         "done; :" % MARKER),
        ("reboot_timers",
         "command -v systemctl >/dev/null 2>&1 || exit 0; [ -d /run/systemd/system ] || exit 0; "
         "systemctl list-timers --all --no-legend --no-pager 'kcrash-reboot-*' 2>/dev/null; :"),
        ("reboot_shutdown",
         "cat /run/systemd/shutdown/scheduled 2>/dev/null; echo '--info'; cat %s 2>/dev/null; "
         "echo '--pid'; if [ -f %s ]; then p=$(cat %s); "
         "kill -0 \"$p\" 2>/dev/null && echo \"alive $p\" || echo \"dead $p\"; fi; :"
         % (INFO_FILE, PID_FILE, PID_FILE)),
    ]
    return [(prefix + n, c) for n, c in secs]


def parse_tools(text):
    tools = {}
    systemd = False
    atd = False
    for line in text.splitlines():
        line = line.strip()
        if line == "systemd running":
            systemd = True
        elif line == "atd reachable":
            atd = True
        elif " " in line:
            name, path = line.split(" ", 1)
            tools[name] = path
    return {"tools": tools, "systemd": systemd, "atd": atd}


_MARK_RE = re.compile(re.escape(MARKER) + r"\s+id=(\S+)(?:\s+time=(\S+))?(?:\s+kernel=(\S+))?")


def parse_at_jobs(text):
    jobs = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or parts[0] != "job":
            continue
        m = _MARK_RE.search(parts[3])
        jobs.append({
            "method": "at", "job": parts[1], "when": parts[2].strip(),
            "id": m.group(1) if m else None, "time": m.group(2) if m else None,
            "kernel": m.group(3) if m else None,
        })
    return jobs


_TIMER_RE = re.compile(r"(kcrash-reboot-[A-Za-z0-9_.-]+)\.timer")


def parse_timers(text):
    out = []
    for line in text.splitlines():
        m = _TIMER_RE.search(line)
        if m:
            out.append({"method": "systemd-run", "unit": m.group(1) + ".timer",
                        "id": m.group(1)[len("kcrash-reboot-"):],
                        "when": line[:m.start()].strip(), "time": None, "kernel": None})
    return out


def parse_shutdown(text):
    """Scheduled ``shutdown -r`` set by us (info file) and/or by systemd-logind."""
    sysd, dummy, rest = text.partition("--info")
    info, dummy, pid = rest.partition("--pid")
    systemd_sched = {}
    for line in sysd.splitlines():
        if "=" in line:
            k, v = line.strip().split("=", 1)
            systemd_sched[k] = v
    ours = {}
    for tok in info.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            ours[k] = v
    pid = pid.strip()
    alive = pid.startswith("alive ")
    pending_systemd = systemd_sched.get("MODE") in ("reboot",) and "USEC" in systemd_sched
    entries = []
    if ours.get("id") and (alive or pending_systemd):
        entries.append({"method": "shutdown", "id": ours.get("id"), "time": ours.get("time"),
                        "kernel": ours.get("kernel"), "when": ours.get("time"),
                        "pid": pid.split()[1] if alive else None})
    elif pending_systemd:
        entries.append({"method": "shutdown", "id": None, "time": None, "kernel": None,
                        "when": "USEC=%s" % systemd_sched.get("USEC"), "pid": None,
                        "foreign": True})
    return entries


def parse_probe(sections, prefix=""):
    """Sections (shell.split_sections result) -> {tools, systemd, atd, scheduled[]}."""
    def text(name):
        s = sections.get(prefix + name)
        return s.stdout if s is not None else ""
    res = parse_tools(text("reboot_tools"))
    scheduled = parse_at_jobs(text("reboot_at_jobs")) + parse_timers(text("reboot_timers"))
    scheduled += parse_shutdown(text("reboot_shutdown"))
    res["scheduled"] = scheduled
    return res


# ------------------------------------------------------------------------ plan

def choose_method(method, facts):
    """Resolve ``auto``: at (when atd answers), else shutdown, else systemd-run."""
    tools = facts.get("tools", {})
    if method not in METHODS:
        raise KcrashInputError("method", "%r is not one of %s" % (method, ", ".join(METHODS)))
    if method == "auto":
        if "at" in tools and facts.get("atd"):
            return "at"
        if "shutdown" in tools:
            return "shutdown"
        if "systemd-run" in tools and facts.get("systemd"):
            return "systemd-run"
        return None
    need = {"at": "at", "shutdown": "shutdown", "systemd-run": "systemd-run"}[method]
    if need not in tools:
        return None
    if method == "at" and not facts.get("atd"):
        return None
    if method == "systemd-run" and not facts.get("systemd"):
        return None
    return method


def ours(facts):
    return [j for j in facts.get("scheduled", []) if j.get("id") and not j.get("foreign")]


def plan(facts, state, when=None, method="auto", ident="kernel", kernel=None):
    """-> {changed, state, method, cancel[], schedule|None, message, scheduled[]}."""
    if state not in ("scheduled", "absent", "list"):
        raise KcrashInputError("state", "%r is not scheduled, absent or list" % (state,))
    validate_id(ident)
    existing = ours(facts)
    res = {"state": state, "changed": False, "cancel": [], "schedule": None,
           "method": None, "scheduled": existing, "message": ""}
    if state == "list":
        res["message"] = "%d kcrash reboot(s) scheduled" % len(existing)
        return res
    if state == "absent":
        res["cancel"] = existing
        res["changed"] = bool(existing)
        res["message"] = ("cancel %d scheduled reboot(s)" % len(existing)) if existing else \
            "no kcrash reboot scheduled"
        return res
    when = validate_time(when)
    chosen = choose_method(method, facts)
    if chosen is None:
        raise KcrashInputError("method", "no usable reboot scheduler for method %r on this host "
                               "(at needs a running atd; systemd-run needs systemd)" % method)
    res["method"] = chosen
    same = [j for j in existing if j["method"] == chosen and j.get("time") == when
            and j.get("id") == ident and (kernel is None or j.get("kernel") == kernel)]
    if same and len(existing) == 1:
        res["message"] = "reboot already scheduled at %s with %s" % (when, chosen)
        return res
    res["cancel"] = existing
    res["schedule"] = {"method": chosen, "time": when, "id": ident, "kernel": kernel}
    res["changed"] = True
    res["message"] = "schedule a reboot at %s with %s%s" % (
        when, chosen, (" (replacing %d)" % len(existing)) if existing else "")
    return res


# ----------------------------------------------------------------------- apply

def _marker_line(ident, when, kernel):
    return "# %s id=%s time=%s%s" % (MARKER, ident, when, (" kernel=%s" % kernel) if kernel else "")


def cancel_command(job):
    m = job["method"]
    if m == "at":
        if not re.match(r"^\d+\Z", str(job.get("job", ""))):
            raise KcrashInputError("at job", "bad job number %r" % (job.get("job"),))
        return "atrm %s" % job["job"]
    if m == "systemd-run":
        unit = "kcrash-reboot-%s.timer" % validate_id(job["id"])
        return "systemctl stop %s; systemctl reset-failed %s 2>/dev/null; :" % (quote(unit), quote(unit))
    if m == "shutdown":
        pid = job.get("pid")
        kill = ""
        if pid and re.match(r"^\d+\Z", pid):
            kill = "kill %s 2>/dev/null; " % pid
        return "shutdown -c 2>/dev/null; %srm -f %s %s; :" % (kill, INFO_FILE, PID_FILE)
    raise KcrashInputError("method", "cannot cancel %r" % (m,))


def schedule_command(sched, reboot_command="shutdown -r now"):
    """Shell text scheduling the reboot; prints ``scheduled <method>`` on success."""
    method, when, ident, kernel = sched["method"], validate_time(sched["time"]), validate_id(sched["id"]), \
        sched.get("kernel")
    mark = _marker_line(ident, when, kernel)
    if method == "at":
        job = "%s\n%s\n" % (mark, reboot_command)
        return "printf '%%s' %s | at %s 2>&1 && echo 'scheduled at'" % (quote(job), when)
    if method == "shutdown":
        info = "id=%s time=%s%s" % (ident, when, (" kernel=%s" % kernel) if kernel else "")
        return (
            "printf '%%s\\n' %s > %s || exit 1\n"
            "if [ -d /run/systemd/system ]; then shutdown -r %s %s || exit 1; else\n"
            "  nohup shutdown -r %s %s </dev/null >/dev/null 2>&1 &\n"
            "  echo $! > %s\n"
            "fi\necho 'scheduled shutdown'"
            % (quote(info), INFO_FILE, when, quote(MARKER), when, quote(MARKER), PID_FILE)
        )
    if method == "systemd-run":
        unit = "kcrash-reboot-%s" % ident
        return (
            "systemd-run --unit %s --description %s --on-calendar %s "
            "--timer-property=AccuracySec=1s /bin/systemctl reboot && echo 'scheduled systemd-run'"
            % (quote(unit), quote(mark.lstrip("# ")), quote("*-*-* %s:00" % when))
        )
    raise KcrashInputError("method", "cannot schedule with %r" % (method,))
