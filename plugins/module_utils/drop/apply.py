# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The drop strategy's apply stage: backups, the rollback watchdog and the
apply/confirm/undo/rollback scripts, as POSIX sh text (no Python on the host; dash, bash
4.1 and busybox ash), and their exit codes ``RC_*`` (what each means for the task:
:mod:`.outcome`).

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

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.digest import digest_command
from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop.verify import VERIFIED
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.module_utils.shell import (
    FILE_FUNCS,
    PREAMBLE,
    FileChange,
    backup_name,
    file_transaction,
    printf_literal,
    posix_cksum,
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
RC_BACKUP = 9       # the backup could not be written completely (disk full...): nothing changed
RC_ROLLEDBACK = 10  # rollback: the latest applied backup was already rolled back
RC_INCOMPLETE = 11  # rollback: the backup does not match its manifest: nothing restored
RC_DENIED = 12      # rollback: the backup root cannot be read (not root): nothing known, nothing done
_STAMP_RE = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4,32}\Z")
_TOOL_RE = re.compile(r"^(ip6?tables)(-legacy|-nft)?-restore\Z")


def say(*parts):
    """Shell text printing ``parts`` joined, each quoted (no value is ever shell text)."""
    return "printf '%s\\n' " + quote("".join(str(p) for p in parts))


def backup_dir(root, stamp):
    validate_abs_path(root, "backup_root")
    if not _STAMP_RE.match(stamp):
        raise KcrashInputError("stamp", "%r is not a backup stamp" % (stamp,))
    return posixpath.join(root, stamp)


_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}\Z")
_SAVE_RE = re.compile(r"^(ip6?tables)(-legacy|-nft)?-save\Z")


def _checked(tx):
    """A transaction whose table and tools can be written into shell text as they are
    (messages repeat them): a table name read from the host is refused otherwise."""
    if not _TABLE_RE.match(tx["table"] or ""):
        raise KcrashInputError("table", "%r is not a table name" % (tx["table"],))
    if not _SAVE_RE.match(tx["save_tool"] or ""):
        raise KcrashInputError("tool", "%r is not an iptables save tool" % (tx["save_tool"],))
    _tool(tx["restore_tool"])
    return tx


def _tool(name):
    if not _TOOL_RE.match(name):
        raise KcrashInputError("tool", "%r is not an iptables restore tool" % (name,))
    return name


def _write_file(path, content):
    """Shell text writing ``content`` to ``path`` (a final newline added when missing), with
    ``shell.printf_literal``: its size does not multiply under Ansible's quoting."""
    body = content if content.endswith("\n") else content + "\n"
    return "printf %s > %s\n" % (printf_literal(body), quote(path))


def _written(path, content, fail):
    """:func:`_write_file` checked: the file must hold exactly ``content`` afterwards (a full
    disk leaves a short file and a heredoc's failure is otherwise silent); else ``fail``."""
    body = content if content.endswith("\n") else content + "\n"
    return _write_file(path, body) + "[ \"$(cksum < %s 2>/dev/null)\" = %s ] || %s\n" % (
        quote(path), quote(posix_cksum(body)), fail)


def _backup_fail(what, bdir):
    """Shell text: stop before any change because ``what`` of the backup is not written."""
    return "{ %s >&2; kc_abort; exit %d; }" % (
        say("KCRASH-BACKUP: ", what, " could not be written completely in ", bdir,
            " (disk full?): nothing changed"), RC_BACKUP)


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
        # pending-<i>: the apply trip was about to change this table (see apply_script)
        out.append(
            "if [ -s live-{i}.rules ] && [ -e pending-{i} ]; then\n"
            "  if {tool} --test -c < live-{i}.rules; then\n"
            "    {tool}{w} -c < live-{i}.rules || {{ echo 'restore of live-{i}.rules ({tool}) failed' >&2; kc_rc=1; }}\n"
            "  else echo 'live-{i}.rules does not pass {tool} --test: left alone' >&2; kc_rc=1; fi\n"
            "fi\n".format(i=i, tool=tool, w=wopt)
        )
    for i, (fam, name) in enumerate(nft_tables):
        words = _nft_words(fam, name)
        out.append(
            "if [ -s nft-%d.nft ] && [ -e pending-nft ]; then\n"
            "  { printf '%%s\\n' 'table %s' 'delete table %s'; cat nft-%d.nft; } > nft-%d.load\n"
            "  if nft -c -f nft-%d.load; then nft -f nft-%d.load || kc_rc=1; "
            "else echo 'nft-%d.nft does not pass nft -c: left alone' >&2; kc_rc=1; fi\n"
            "fi\n" % (i, words, words, i, i, i, i, i)
        )
    # saved files: written through symlinks, in place when hard-linked (see shell.FILE_FUNCS)
    out.append(
        "if [ -f files.list ]; then\n" + FILE_FUNCS +
        "  while read -r kc_b kc_p; do\n"
        "    [ -n \"$kc_p\" ] || continue\n"
        "    kc_real \"$kc_p\" || { printf 'cannot resolve the links of %s\\n' \"$kc_p\" >&2; kc_rc=1; continue; }\n"
        "    if [ \"$kc_b\" = '-' ]; then rm -f \"$kc_r\"; continue; fi\n"
        "    kc_st=\"${kc_r%/*}/.kcrash-restore.${kc_r##*/}.$$\"\n"
        "    if cp -p \"files/$kc_b\" \"$kc_st\"; then\n"
        "      [ -e \"$kc_r\" ] && command -v chcon >/dev/null 2>&1 && chcon --reference=\"$kc_r\" \"$kc_st\" >/dev/null 2>&1\n"
        "      kc_put \"$kc_st\" \"$kc_r\" || { rm -f \"$kc_st\"; printf 'restore of %s failed\\n' \"$kc_p\" >&2; kc_rc=1; }\n"
        "    else rm -f \"$kc_st\"; printf 'restore of %s failed\\n' \"$kc_p\" >&2; kc_rc=1; fi\n"
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
        "  ( cd / && exec setsid sh %s/watchdog.sh </dev/null >/dev/null 2>&1 ) &\n"
        "elif command -v nohup >/dev/null 2>&1; then\n"
        "  ( cd / && exec nohup sh %s/watchdog.sh </dev/null >/dev/null 2>&1 ) &\n"
        "else\n"
        "  ( cd / && trap '' HUP && exec sh %s/watchdog.sh </dev/null >/dev/null 2>&1 ) &\n"
        "fi\n"
        "kc_wp=$!\n"
        # a pid file that cannot be written (full disk) stops the timer it would name
        "{ echo \"$kc_wp\" > %s/watchdog.pid && [ \"$(cat %s/watchdog.pid)\" = \"$kc_wp\" ] && kill -0 \"$kc_wp\"; } 2>/dev/null "
        "|| { kill -TERM \"$kc_wp\" 2>/dev/null; echo 'KCRASH-FAIL: the rollback timer did not start: nothing changed' >&2; "
        "kc_abort; exit %d; }\n"
        % (b, b, b, b, b, b, RC_BACKUP)
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
    r = quote(validate_abs_path(root, "backup_root"))
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
    """The apply round trip for ``plan`` (see :mod:`.plan`).

    Order: transaction files; ``--test`` of every transaction (``test_first``) in the
    background while each changed table is saved with counters into the backup directory
    and the digest of its affected chains compared with the plan (both only read); exit
    ``RC_CHANGED`` (rules moved since the read) or ``RC_TEST`` (a transaction failed its
    test) with nothing changed; restore.sh; the watchdog; saved files; the restores.
    With ``verify`` each changed table is saved again and its affected chains compared with
    the planned result (``@@KCRASH-VERIFY:<n>`` blocks for the controller)."""
    b = quote(bdir)
    txs = [_checked(tx) for tx in plan["iptables"]]
    nft_tx = plan.get("nft")
    nft_tables = list(nft_tx["tables"]) if nft_tx else []
    out = [PREAMBLE, "umask 077\n"]
    validate_abs_path(bdir, "backup_dir")
    out.append("mkdir -p %s && chmod 700 %s && mkdir %s || { %s >&2; exit %d; }\n"
               % (quote(posixpath.dirname(bdir)), quote(posixpath.dirname(bdir)), b,
                  say("KCRASH-FAIL: cannot create backup dir ", bdir), RC_APPLY))
    out.append("cd %s || exit %d\n" % (b, RC_APPLY))
    # nothing changed yet: wait for the background test, drop the backup dir
    out.append("kc_abort() {\n  wait\n  cd / && rm -rf %s\n}\n" % b)
    out.append("kc_changed=''\n")
    # 1. the transactions, and their --test in the background (read-only, like the saves)
    for i, tx in enumerate(txs):
        out.append(_written(posixpath.join(bdir, "tx-%d.rules" % i), tx["text"], _backup_fail("tx-%d.rules" % i, bdir)))
    if nft_tx:
        out.append(_written(posixpath.join(bdir, "tx.nft"), nft_tx["text"], _backup_fail("tx.nft", bdir)))
    if test_first and (txs or nft_tx):
        job = []
        for i, tx in enumerate(txs):
            tool = _tool(tx["restore_tool"])
            w = " -w" if wait and tx["backend"] == "legacy" else ""
            job.append("%s%s --test --noflush < tx-%d.rules || { echo %s > test.fail; exit 1; }\n"
                       % (tool, w, i, quote("%s --test of table %s" % (tool, tx["table"]))))
        if nft_tx:
            job.append("nft -c -f tx.nft || { echo 'nft -c -f (check)' > test.fail; exit 1; }\n")
        out.append("( %s) > test.log 2>&1 &\nkc_tp=$!\n" % "".join(job))
    # 2. backups that double as the "nothing moved since the read" check
    # (the digest reads the save through tee while it is written: no second pass)
    for i, tx in enumerate(txs):
        save = quote(tx["save_tool"])
        out.append(
            "kc_d=$({ %s -c -t %s; echo $? > live-%d.rc; } | tee live-%d.rules | %s)\n"
            "kc_r=$(cat live-%d.rc 2>/dev/null)\n"
            "[ -n \"$kc_r\" ] || %s\n"
            "[ \"$kc_r\" = 0 ] || { echo %s >&2; kc_abort; exit %d; }\n"
            % (save, quote(tx["table"]), i, i, _digest_command(tx), i, _backup_fail("live-%d.rc" % i, bdir),
               quote("KCRASH-FAIL: %s -t %s failed" % (tx["save_tool"], tx["table"])), RC_APPLY)
        )
        # a save cut short by a full disk has no COMMIT line at its end (one table: one COMMIT)
        out.append("tail -n 2 live-%d.rules | grep -qx COMMIT || %s\n" % (i, _backup_fail("live-%d.rules" % i, bdir)))
        out.append(_written(posixpath.join(bdir, "live-%d.tool" % i), _tool(tx["restore_tool"]),
                            _backup_fail("live-%d.tool" % i, bdir)))
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
        out.append("nft list table %s > nft-%d.nft || { echo %s >&2; kc_abort; exit %d; }\n"
                   % (words, i, quote("KCRASH-FAIL: nft list table %s failed" % words), RC_APPLY))
        out.append("[ \"$(tail -n 1 nft-%d.nft)\" = '}' ] || %s\n" % (i, _backup_fail("nft-%d.nft" % i, bdir)))
        out.append(_written(posixpath.join(bdir, "nft-%d.name" % i), words, _backup_fail("nft-%d.name" % i, bdir)))
    # 3. restore.sh, watchdog, the list of saved files; each checked
    out.append(_written(posixpath.join(bdir, "restore.sh"), restore_script(txs, nft_tables, wait),
                        _backup_fail("restore.sh", bdir)))
    out.append(_written(posixpath.join(bdir, "watchdog.sh"), watchdog_script(bdir, seconds),
                        _backup_fail("watchdog.sh", bdir)))
    changes = [FileChange(f["path"], f["after"], "0600", f["expect"]) for f in plan.get("files", [])]
    lst = "".join("%s %s\n" % ("-" if c.expect == "" else backup_name(c.path), c.path) for c in changes)
    if lst:
        out.append(_written(posixpath.join(bdir, "files.list"), lst, _backup_fail("files.list", bdir)))
    out.append(_manifest(bdir, txs, nft_tables, changes, bool(lst)))
    out.append(arm_watchdog(bdir))
    out.append(disarm(bdir))
    out.append("kc_undo() {\n  printf 'KCRASH-FAIL: %%s: rules and files put back from %%s\\n' \"$1\" %s >&2\n"
               "  sh ./restore.sh >&2\n  kc_disarm\n  : > failed\n  date > rolled-back\n  exit %d\n}\n" % (b, RC_APPLY))
    # the backup is complete: from here on it may be rolled back to
    out.append(": > applied || { kc_disarm; %s >&2; kc_abort; exit %d; }\n"
               % (say("KCRASH-BACKUP: the marker 'applied' could not be written in ", bdir, ": nothing changed"),
                  RC_BACKUP))
    # 4. saved files first (all or nothing, before any live change)
    if changes:
        out.append("(\n%s) || { kc_disarm; rm -f applied; : > failed; "
                   "echo 'KCRASH-FAIL: saved files not written (nothing changed)' >&2; exit %d; }\n"
                   % (file_transaction(changes, posixpath.join(bdir, "files")), RC_FILES))
    # 5. live: one restore per table, one nft -f
    #    pending-<i> is written before each restore and removed when it fails: a restore
    #    that failed changed nothing (one atomic commit), so putting back (now, by the
    #    timer or by rollback) touches only tables that did change: a rule another process
    #    added meanwhile to a table left alone stays
    for i, tx in enumerate(txs):
        tool = _tool(tx["restore_tool"])
        w = " -w" if wait and tx["backend"] == "legacy" else ""
        out.append(": > pending-%d || kc_undo 'marker pending-%d'\n" % (i, i))
        out.append("%s%s --noflush < tx-%d.rules || { rm -f pending-%d; kc_undo %s; }\n"
                   % (tool, w, i, i, quote("%s --noflush of %s" % (tool, tx["table"]))))
    if nft_tx:
        out.append(": > pending-nft || kc_undo 'marker pending-nft'\n")
        out.append("nft -f tx.nft || { rm -f pending-nft; kc_undo 'nft -f'; }\n")
    # 6. verification (optional): the affected chains against the planned result; the whole
    #    table goes back only when they differ (the controller then says what is wrong)
    if verify:
        for i, tx in enumerate(txs):
            out.append(
                "kc_d=$({ %s -c -t %s; echo $? > post-%d.rc; } | tee post-%d.rules | %s)\n"
                "[ \"$(cat post-%d.rc 2>/dev/null)\" = 0 ] || kc_undo %s\n"
                "if [ \"$kc_d\" = %s ]; then printf '\\n@@KCRASH-VERIFY:ipt:%d:ok\\n'; "
                "else printf '\\n@@KCRASH-VERIFY:ipt:%d\\n'; cat post-%d.rules; fi\nrm -f post-%d.rules post-%d.rc\n"
                % (quote(tx["save_tool"]), quote(tx["table"]), i, i, _digest_command(tx), i,
                   quote("verify %s -t %s" % (tx["save_tool"], tx["table"])), quote(tx["post_digest"]), i, i, i, i, i))
        for i, (fam, name) in enumerate(nft_tables):
            out.append("printf '\\n@@KCRASH-VERIFY:nft:%d\\n'\nnft -a list table %s || kc_undo 'verify nft'\n"
                       % (i, _nft_words(fam, name)))
    out.append("printf '\\n@@KCRASH-VERIFY:end\\n'\nexit 0\n")
    return "".join(out)


def _manifest(bdir, txs, nft_tables, changes, with_list):
    """Shell text writing ``manifest`` (``cksum`` lines: crc, size, file) of every file of the
    backup, checked; the saved-file copies (made by the file transaction later) are listed
    with the checksum the controller planned from. Rollback restores only a backup whose
    files still match it."""
    names = []
    for i in range(len(txs)):
        names += ["live-%d.rules" % i, "live-%d.tool" % i]
    for i in range(len(nft_tables)):
        names += ["nft-%d.nft" % i, "nft-%d.name" % i]
    names += ["restore.sh", "watchdog.sh"] + (["files.list"] if with_list else [])
    known = "".join("%s files/%s\n" % (c.expect, backup_name(c.path)) for c in changes if c.expect)
    fail = _backup_fail("manifest", bdir)
    lines = len(names) + known.count("\n")
    return ("{ cksum %s && printf '%%s' %s; } > manifest.new && [ \"$(wc -l < manifest.new)\" -eq %d ] "
            "&& mv -f manifest.new manifest || %s\n"
            % (" ".join(names), quote(known) if known else "''", lines, fail))


def _digest_command(tx):
    return digest_command(tx["chains"])


def split_verify(stdout):
    """``{("ipt", n) | ("nft", n): text}`` of the verification listings."""
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
    b = quote(validate_abs_path(bdir, "backup_dir"))
    return (PREAMBLE + "umask 077\n"
            + "if [ -e %s/rolled-back ]; then %s >&2; exit %d; fi\n"
            % (b, say("KCRASH-LATE: the watchdog already restored ", bdir), RC_LATE)
            + disarm(bdir) + "kc_disarm\n" + retention(root, keep) + "echo KCRASH-CONFIRMED\n")


def undo_script(bdir):
    """Roll back one apply now (the controller found the result wrong)."""
    b = quote(validate_abs_path(bdir, "backup_dir"))
    return (PREAMBLE + "umask 077\ncd %s || exit %d\n" % (b, RC_NOBACKUP) + disarm(bdir) + "kc_disarm\n"
            + "date > rolled-back\n: > failed\nsh ./restore.sh\n")


def _pick(root, stamp):
    """Shell text choosing the backup to restore into ``kc_d`` and checking it, shared by
    rollback and its check mode. Without ``stamp``: the newest backup that is complete (has
    its ``manifest``) and was applied (``applied``; a failed apply writes ``failed``, a no-op
    apply leaves none); if that one was already rolled back, nothing is chosen again
    (``RC_ROLLEDBACK``) unless it is named. Every file must still match the manifest."""
    r = quote(validate_abs_path(root, "backup_root"))
    if stamp:
        backup_dir(root, stamp)
        out = ("kc_d=%s\n"
               "[ -f %s/\"$kc_d\"/restore.sh ] || { %s >&2; exit %d; }\n"
               % (quote(stamp), r, say("KCRASH-NOBACKUP: no backup ", stamp, " under ", root), RC_NOBACKUP))
    else:
        out = ("kc_d=''\n"
               "for kc_x in $(ls -1 %s 2>/dev/null | grep -E '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$' | sort -r); do\n"
               "  if [ -f %s/\"$kc_x\"/applied ] && [ -f %s/\"$kc_x\"/manifest ] && [ ! -e %s/\"$kc_x\"/failed ]; "
               "then kc_d=$kc_x; break; fi\n"
               "done\n"
               "[ -n \"$kc_d\" ] || { %s >&2; exit %d; }\n"
               "if [ -e %s/\"$kc_d\"/rolled-back ]; then printf 'KCRASH-ROLLEDBACK: %%s/%%s was already rolled back "
               "(%%s): nothing restored again; name it to restore it once more\\n' %s \"$kc_d\" "
               "\"$(cat %s/\"$kc_d\"/rolled-back 2>/dev/null)\" >&2; printf '%%s/%%s\\n' %s \"$kc_d\"; exit %d; fi\n"
               % (r, r, r, r, say("KCRASH-NOBACKUP: no complete backup of an applied change under ", root),
                  RC_NOBACKUP, r, r, r, r, RC_ROLLEDBACK))
    # a backup written before manifests existed is used only when named
    out += ("cd %s/\"$kc_d\" || exit %d\n"
            "if [ -f manifest ]; then kc_bad=''\n"
            "  while read -r kc_c kc_s kc_f; do [ \"$(cksum < \"$kc_f\" 2>/dev/null)\" = \"$kc_c $kc_s\" ] "
            "|| kc_bad=\"$kc_bad $kc_f\"; done < manifest\n"
            "  [ -z \"$kc_bad\" ] || { printf 'KCRASH-INCOMPLETE: %%s/%%s: files missing or changed since the "
            "backup was made:%%s: nothing restored\\n' %s \"$kc_d\" \"$kc_bad\" >&2; exit %d; }\n"
            "elif %s || [ ! -s restore.sh ]; then printf 'KCRASH-INCOMPLETE: %%s/%%s has no manifest: nothing "
            "restored\\n' %s \"$kc_d\" >&2; exit %d; fi\n"
            % (r, RC_NOBACKUP, r, RC_INCOMPLETE, "false" if stamp else "true", r, RC_INCOMPLETE))
    return out


def rollback_script(root, stamp=None):
    """Restore the latest applied (or the named) backup under ``root``: the rollback
    playbook. Marks it ``rolled-back``: a second rollback does not restore it again."""
    return (
        PREAMBLE + "umask 077\n" + readable_check(root) + _pick(root, stamp)
        + "touch confirmed\n"
        + "if [ -s watchdog.pid ]; then kc_p=$(cat watchdog.pid); kill -TERM -\"$kc_p\" 2>/dev/null || kill -TERM \"$kc_p\" 2>/dev/null; fi\n"
        + "printf 'KCRASH-BACKUP: %%s/%%s\\n' %s \"$kc_d\"\n" % quote(root)
        + "sh ./restore.sh; kc_rc=$?\n"
        + "[ $kc_rc -eq 0 ] && date > rolled-back\n"
        + "exit $kc_rc\n"
    )


def list_script(root, stamp=None):
    """Print the backup directory a rollback would use (check mode); exit RC_NOBACKUP if
    none, RC_ROLLEDBACK / RC_INCOMPLETE as the rollback would."""
    return (PREAMBLE + readable_check(root) + _pick(root, stamp) + "printf '%%s/%%s\\n' %s \"$kc_d\"\n" % quote(root))


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
