# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups, the rollback watchdog and the apply/confirm/rollback scripts of the "drop"
strategy, as POSIX sh text (no Python on the host; dash, bash 4.1 and busybox ash).

Layout on the host (umask 077: directories 0700, files 0600)::

    /var/backups/kcrash-nfqueue/drop/          BACKUP_ROOT
      20260126T101500Z-<nonce>/                one apply = one directory (sortable name)
        live-<n>.rules                         <tool>-save -c -t <table> taken just before
        live-<n>.tool                          the restore tool for it (one word)
        nft-<n>.nft                            nft list table <family> <name> (native nft)
        nft-<n>.name                           "<family> <name>"
        files/<etc_sysconfig_iptables>         copies of the saved files before the rewrite
        files.list                             "<backup name> <path>" lines
        restore.sh                             puts everything above back
        watchdog.sh, watchdog.pid              the timer
        armed / confirmed / rolled-back        state markers
        watchdog.log                           what the timer did

Watchdog: ``watchdog.sh`` sleeps N seconds in its own session (``setsid`` when present,
else ``nohup``; stdin/stdout/stderr detached so the connection can close) and runs
``restore.sh`` unless ``confirmed`` exists by then. ``restore.sh`` runs
``<tool>-restore --test`` on every backup before the real ``<tool>-restore -c`` (``-w``
when the version has it), so a broken backup never flushes a table.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    PREAMBLE,
    FileChange,
    backup_name,
    file_transaction,
    printf_literal,
    quote,
    validate_abs_path,
)

BACKUP_ROOT = "/var/backups/kcrash-nfqueue/drop"
RC_CHANGED = 4      # live rules changed since they were read: nothing done, read again
RC_FILES = 3        # saved files could not be written: nothing done
RC_APPLY = 5        # a restore failed: everything put back
RC_NOBACKUP = 6     # rollback: no backup found
RC_LATE = 7         # confirm came after the watchdog had already restored
RC_TEST = 8         # a transaction failed its --test (nft -c): nothing changed
RC_DENIED = 9       # rollback: the backup root cannot be read (not root): nothing known, nothing done
_STAMP_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4,32}\Z")
_TOOL_RE = re.compile(r"^(ip6?tables)(-legacy|-nft)?-restore\Z")


def backup_dir(root, stamp):
    validate_abs_path(root, "backup_root")
    if not _STAMP_RE.match(stamp):
        raise KcrashInputError("stamp", "%r is not a backup stamp" % (stamp,))
    return posixpath.join(root, stamp)


def _tool(name):
    if not _TOOL_RE.match(name):
        raise KcrashInputError("tool", "%r is not an iptables restore tool" % (name,))
    return name


def _write_file(path, content):
    """Shell text writing ``content`` to ``path`` (a final newline added when missing), with
    ``shell.printf_literal``: its size does not multiply under Ansible's quoting."""
    body = content if content.endswith("\n") else content + "\n"
    return "printf %s > %s\n" % (printf_literal(body), quote(path))


def restore_script(tx_iptables, nft_tables, wait):
    """Text of ``restore.sh`` (runs inside the backup dir it lives in)."""
    w = " -w" if wait else ""
    out = [
        "#!/bin/sh\n# kcrash.nfqueue: put back the live rules and saved files of this backup\n",
        PREAMBLE,
        "umask 077\ncd \"$(dirname \"$0\")\" || exit 1\nkc_rc=0\n",
    ]
    for i, tx in enumerate(tx_iptables):
        tool = _tool(tx["restore_tool"])
        wopt = w if tx.get("backend") == "legacy" or tx.get("wait") else ""
        out.append(
            "if [ -s live-{i}.rules ]; then\n"
            "  if {tool} --test -c < live-{i}.rules; then\n"
            "    {tool}{w} -c < live-{i}.rules || {{ echo 'restore of live-{i}.rules ({tool}) failed' >&2; kc_rc=1; }}\n"
            "  else echo 'live-{i}.rules does not pass {tool} --test: left alone' >&2; kc_rc=1; fi\n"
            "fi\n".format(i=i, tool=tool, w=wopt)
        )
    for i, (fam, name) in enumerate(nft_tables):
        words = _nft_words(fam, name)
        out.append(
            "if [ -s nft-%d.nft ]; then\n"
            "  { printf '%%s\\n' 'table %s' 'delete table %s'; cat nft-%d.nft; } > nft-%d.load\n"
            "  if nft -c -f nft-%d.load; then nft -f nft-%d.load || kc_rc=1; "
            "else echo 'nft-%d.nft does not pass nft -c: left alone' >&2; kc_rc=1; fi\n"
            "fi\n" % (i, words, words, i, i, i, i, i)
        )
    out.append(
        "if [ -f files.list ]; then\n"
        "  while read -r kc_b kc_p; do\n"
        "    [ -n \"$kc_p\" ] || continue\n"
        "    if [ \"$kc_b\" = '-' ]; then rm -f \"$kc_p\"; continue; fi\n"
        "    cp -p \"files/$kc_b\" \"$kc_p.kcrash-restore.$$\" && mv -f \"$kc_p.kcrash-restore.$$\" \"$kc_p\" "
        "|| { echo \"restore of $kc_p failed\" >&2; kc_rc=1; }\n"
        "  done < files.list\n"
        "fi\n"
        "exit $kc_rc\n"
    )
    return "".join(out)


def _nft_words(fam, name):
    if not re.match(r"^(ip|ip6|inet|arp|bridge|netdev)\Z", fam) or not re.match(r"^[A-Za-z0-9_.-]{1,64}\Z", name):
        raise KcrashInputError("nft table", "%r %r" % (fam, name))
    return "%s %s" % (fam, name)


def watchdog_script(bdir, seconds):
    return (
        "#!/bin/sh\n# kcrash.nfqueue rollback timer\n"
        "cd %s || exit 1\n"
        "sleep %d\n"
        "if [ ! -e confirmed ]; then\n"
        "  date > rolled-back\n"
        "  sh ./restore.sh > watchdog.log 2>&1\n"
        "  echo \"restore.sh exit $?\" >> watchdog.log\n"
        "fi\n"
        "rm -f watchdog.pid\n" % (quote(bdir), int(seconds))
    )


def arm_watchdog(bdir):
    """Shell text starting watchdog.sh detached from the connection. The launcher records
    the timer's pid (``$!``: ``setsid``/``nohup`` exec the shell in the same process), so
    nothing polls; the timer must be alive before anything changes."""
    b = quote(bdir)
    return (
        "touch %s/armed\n"
        "if command -v setsid >/dev/null 2>&1; then\n"
        "  ( cd / && { setsid sh %s/watchdog.sh </dev/null >/dev/null 2>&1 & echo $! > %s/watchdog.pid; } )\n"
        "elif command -v nohup >/dev/null 2>&1; then\n"
        "  ( cd / && { nohup sh %s/watchdog.sh </dev/null >/dev/null 2>&1 & echo $! > %s/watchdog.pid; } )\n"
        "else\n"
        "  ( cd / && trap '' HUP && { sh %s/watchdog.sh </dev/null >/dev/null 2>&1 & echo $! > %s/watchdog.pid; } )\n"
        "fi\n"
        "kill -0 \"$(cat %s/watchdog.pid 2>/dev/null)\" 2>/dev/null "
        "|| { echo 'KCRASH-FAIL: the rollback timer did not start' >&2; exit %d; }\n"
        % (b, b, b, b, b, b, b, b, RC_APPLY)
    )


def disarm(bdir):
    """Shell text defining ``kc_disarm``: mark the backup confirmed and stop its timer."""
    b = quote(bdir)
    return (
        "kc_disarm() {\n"
        "  touch %s/confirmed\n"
        "  if [ -s %s/watchdog.pid ]; then kc_p=$(cat %s/watchdog.pid)\n"
        "    kill -TERM -\"$kc_p\" 2>/dev/null || kill -TERM \"$kc_p\" 2>/dev/null\n"
        "    rm -f %s/watchdog.pid\n"
        "  fi\n"
        "}\n" % (b, b, b, b)
    )


def retention(root, keep):
    """Shell text removing the oldest backup directories beyond ``keep``."""
    keep = int(keep)
    if keep < 1:
        raise KcrashInputError("retention", "keep at least one backup")
    r = quote(root)
    return (
        "kc_n=$(ls -1 %s 2>/dev/null | grep -c -E '^[0-9]{8}T[0-9]{6}Z-')\n"
        "kc_x=$((kc_n - %d))\n"
        "if [ \"$kc_x\" -gt 0 ]; then\n"
        "  ls -1 %s | grep -E '^[0-9]{8}T[0-9]{6}Z-' | sort | head -n \"$kc_x\" | while read -r kc_d; do\n"
        "    [ -e %s/\"$kc_d\"/watchdog.pid ] || rm -rf %s/\"$kc_d\"\n"
        "  done\n"
        "fi\n" % (r, keep, r, r, r)
    )


def apply_script(plan, bdir, seconds=60, test_first=True, wait=False, verify=True):
    """The apply round trip for ``plan`` (see plans/nfqueue.py).

    Order: transaction files; ``--test`` of every transaction (``test_first``) in the
    background while each changed table is saved with counters into the backup directory
    and the digest of its affected chains compared with the plan (both only read); exit
    ``RC_CHANGED`` (rules moved since the read) or ``RC_TEST`` (a transaction failed its
    test) with nothing changed; restore.sh; the watchdog; saved files; the restores.
    With ``verify`` each changed table is saved again and its affected chains compared with
    the planned result (``@@KCRASH-VERIFY:<n>`` blocks for the controller)."""
    b = quote(bdir)
    txs = plan["iptables"]
    nft_tx = plan.get("nft")
    nft_tables = list(nft_tx["tables"]) if nft_tx else []
    out = [PREAMBLE, "umask 077\n"]
    out.append("mkdir -p %s && chmod 700 %s && mkdir %s || { echo 'KCRASH-FAIL: cannot create backup dir %s' >&2; exit %d; }\n"
               % (quote(posixpath.dirname(bdir)), quote(posixpath.dirname(bdir)), b, bdir.replace("'", ""), RC_APPLY))
    out.append("cd %s || exit %d\n" % (b, RC_APPLY))
    # nothing changed yet: wait for the background test, drop the backup dir
    out.append("kc_abort() {\n  wait\n  cd / && rm -rf %s\n}\n" % b)
    out.append("kc_changed=''\n")
    # 1. the transactions, and their --test in the background (read-only, like the saves)
    for i, tx in enumerate(txs):
        out.append(_write_file(posixpath.join(bdir, "tx-%d.rules" % i), tx["text"]))
    if nft_tx:
        out.append(_write_file(posixpath.join(bdir, "tx.nft"), nft_tx["text"]))
    if test_first and (txs or nft_tx):
        job = []
        for i, tx in enumerate(txs):
            tool = _tool(tx["restore_tool"])
            w = " -w" if wait and tx["backend"] == "legacy" else ""
            job.append("%s%s --test --noflush < tx-%d.rules || { echo '%s --test of table %s' > test.fail; exit 1; }\n"
                       % (tool, w, i, tool, tx["table"]))
        if nft_tx:
            job.append("nft -c -f tx.nft || { echo 'nft -c -f (check)' > test.fail; exit 1; }\n")
        out.append("( %s) > test.log 2>&1 &\nkc_tp=$!\n" % "".join(job))
    # 2. backups that double as the "nothing moved since the read" check
    # (the digest reads the save through tee while it is written: no second pass)
    for i, tx in enumerate(txs):
        save = quote(tx["save_tool"])
        out.append(
            "kc_d=$({ %s -c -t %s; echo $? > live-%d.rc; } | tee live-%d.rules | %s)\n"
            "[ \"$(cat live-%d.rc 2>/dev/null)\" = 0 ] || { echo 'KCRASH-FAIL: %s -t %s failed' >&2; kc_abort; exit %d; }\n"
            % (save, quote(tx["table"]), i, i, _digest_command(tx), i, tx["save_tool"], tx["table"], RC_APPLY)
        )
        out.append("echo %s > live-%d.tool\n" % (quote(_tool(tx["restore_tool"])), i))
        out.append(
            "[ \"$kc_d\" = %s ] || kc_changed=\"$kc_changed %s:%s\"\n"
            % (quote(tx["digest"]), tx["save_tool"], tx["table"])
        )
    if test_first and (txs or nft_tx):
        out.append("wait $kc_tp\nkc_trc=$?\n")
    out.append(
        "if [ -n \"$kc_changed\" ]; then echo \"KCRASH-CHANGED:$kc_changed\"; kc_abort; exit %d; fi\n" % RC_CHANGED
    )
    if test_first and (txs or nft_tx):
        out.append(
            "if [ \"$kc_trc\" != 0 ]; then echo \"KCRASH-TEST: $(cat test.fail 2>/dev/null) failed: nothing changed\" >&2; "
            "cat test.log >&2; kc_abort; exit %d; fi\n" % RC_TEST)
    for i, (fam, name) in enumerate(nft_tables):
        words = _nft_words(fam, name)
        out.append("nft list table %s > nft-%d.nft || { echo 'KCRASH-FAIL: nft list table %s failed' >&2; kc_abort; exit %d; }\n"
                   % (words, i, words, RC_APPLY))
        out.append("echo '%s' > nft-%d.name\n" % (words, i))
    # 3. restore.sh, watchdog
    out.append(_write_file(posixpath.join(bdir, "restore.sh"), restore_script(txs, nft_tables, wait)))
    out.append(_write_file(posixpath.join(bdir, "watchdog.sh"), watchdog_script(bdir, seconds)))
    changes = [FileChange(f["path"], f["after"], "0600", f["expect"]) for f in plan.get("files", [])]
    lst = "".join("%s %s\n" % (backup_name(c.path), c.path) for c in changes)
    if lst:
        out.append(_write_file(posixpath.join(bdir, "files.list"), lst))
    out.append(arm_watchdog(bdir))
    out.append(disarm(bdir))
    out.append("kc_undo() {\n  echo \"KCRASH-FAIL: $1: rules and files put back from %s\" >&2\n"
               "  sh ./restore.sh >&2\n  kc_disarm\n  exit %d\n}\n" % (bdir.replace('"', ""), RC_APPLY))
    # 4. saved files first (all or nothing, before any live change)
    if changes:
        out.append("(\n%s) || { kc_disarm; echo 'KCRASH-FAIL: saved files not written (nothing changed)' >&2; exit %d; }\n"
                   % (file_transaction(changes, posixpath.join(bdir, "files")), RC_FILES))
    # 5. live: one restore per table, one nft -f
    for i, tx in enumerate(txs):
        tool = _tool(tx["restore_tool"])
        w = " -w" if wait and tx["backend"] == "legacy" else ""
        out.append("%s%s --noflush < tx-%d.rules || kc_undo '%s --noflush of %s'\n" % (tool, w, i, tool, tx["table"]))
    if nft_tx:
        out.append("nft -f tx.nft || kc_undo 'nft -f'\n")
    # 6. verification (optional): the affected chains against the planned result; the whole
    #    table goes back only when they differ (the controller then says what is wrong)
    if verify:
        for i, tx in enumerate(txs):
            out.append(
                "kc_d=$({ %s -c -t %s; echo $? > post-%d.rc; } | tee post-%d.rules | %s)\n"
                "[ \"$(cat post-%d.rc 2>/dev/null)\" = 0 ] || kc_undo 'verify %s -t %s'\n"
                "if [ \"$kc_d\" = %s ]; then printf '\\n@@KCRASH-VERIFY:ipt:%d:ok\\n'; "
                "else printf '\\n@@KCRASH-VERIFY:ipt:%d\\n'; cat post-%d.rules; fi\nrm -f post-%d.rules post-%d.rc\n"
                % (quote(tx["save_tool"]), quote(tx["table"]), i, i, _digest_command(tx), i, tx["save_tool"], tx["table"],
                   quote(tx["post_digest"]), i, i, i, i, i))
        for i, (fam, name) in enumerate(nft_tables):
            out.append("printf '\\n@@KCRASH-VERIFY:nft:%d\\n'\nnft -a list table %s || kc_undo 'verify nft'\n"
                       % (i, _nft_words(fam, name)))
    out.append("printf '\\n@@KCRASH-VERIFY:end\\n'\nexit 0\n")
    return "".join(out)


def _digest_command(tx):
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans.nfqueue import digest_command
    return digest_command(tx["chains"])


def split_verify(stdout):
    """``{("ipt", n) | ("nft", n): text}`` of the verification listings."""
    from ansible_collections.kcrash.nfqueue.plugins.module_utils.plans.nfqueue import VERIFIED
    out = {}
    parts = re.split(r"\n@@KCRASH-VERIFY:([a-z]+(?::\d+)?(?::ok)?)\n", stdout)
    for k in range(1, len(parts) - 1, 2):
        tag = parts[k]
        if tag == "end":
            break
        bits = tag.split(":")
        if len(bits) == 3:
            out[(bits[0], int(bits[1]))] = VERIFIED
        else:
            out[(bits[0], int(bits[1]))] = parts[k + 1]
    return out


def confirm_script(bdir, root, keep):
    b = quote(bdir)
    return (PREAMBLE + "umask 077\n"
            + "if [ -e %s/rolled-back ]; then echo 'KCRASH-LATE: the watchdog already restored %s' >&2; exit %d; fi\n"
            % (b, bdir.replace("'", ""), RC_LATE)
            + disarm(bdir) + "kc_disarm\n" + retention(root, keep) + "echo KCRASH-CONFIRMED\n")


def undo_script(bdir):
    """Roll back one apply now (the controller found the result wrong)."""
    b = quote(bdir)
    return (PREAMBLE + "umask 077\ncd %s || exit %d\n" % (b, RC_NOBACKUP) + disarm(bdir) + "kc_disarm\n"
            + "date > rolled-back\nsh ./restore.sh\n")


def rollback_script(root, stamp=None):
    """Restore the latest (or the named) backup under ``root``: the rollback playbook."""
    r = quote(root)
    if stamp:
        pick = "kc_d=%s\n" % quote(stamp)
    else:
        pick = ("kc_d=$(ls -1 %s 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z-' | sort | tail -n 1)\n" % r)
    return (
        PREAMBLE + "umask 077\n" + readable_check(root) + pick
        + "if [ -z \"$kc_d\" ] || [ ! -f %s/\"$kc_d\"/restore.sh ]; then echo 'KCRASH-NOBACKUP: no backup under %s' >&2; exit %d; fi\n"
        % (r, root, RC_NOBACKUP)
        + "cd %s/\"$kc_d\" || exit %d\n" % (r, RC_NOBACKUP)
        + "touch confirmed\n"
        + "if [ -s watchdog.pid ]; then kc_p=$(cat watchdog.pid); kill -TERM -\"$kc_p\" 2>/dev/null || kill -TERM \"$kc_p\" 2>/dev/null; fi\n"
        + "echo \"KCRASH-BACKUP: %s/$kc_d\"\n" % root
        + "sh ./restore.sh; kc_rc=$?\n"
        + "[ $kc_rc -eq 0 ] && date > rolled-back\n"
        + "exit $kc_rc\n"
    )


def list_script(root, stamp=None):
    """Print the backup directory a rollback would use (check mode); exit RC_NOBACKUP if none."""
    r = quote(root)
    pick = ("kc_d=%s\n" % quote(stamp)) if stamp else (
        "kc_d=$(ls -1 %s 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z-' | sort | tail -n 1)\n" % r)
    return (PREAMBLE + readable_check(root) + pick
            + "if [ -z \"$kc_d\" ] || [ ! -f %s/\"$kc_d\"/restore.sh ]; then exit %d; fi\n" % (r, RC_NOBACKUP)
            + "printf '%%s/%%s\\n' %s \"$kc_d\"\n" % r)


def readable_check(root):
    """Shell text exiting ``RC_DENIED`` when the backups under ``root`` cannot be looked at
    (``root``, or its nearest existing parent, not readable and searchable: a run without
    become), so that "no backup" is said only when there is none."""
    return (
        "kc_p=%s\n"
        "while [ ! -e \"$kc_p\" ] && [ \"$kc_p\" != / ]; do kc_p=$(dirname \"$kc_p\"); done\n"
        "if [ ! -r \"$kc_p\" ] || [ ! -x \"$kc_p\" ]; then "
        "echo \"KCRASH-DENIED: cannot read $kc_p as uid $(id -u): permission denied\" >&2; exit %d; fi\n"
        % (quote(root), RC_DENIED)
    )
