# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of the fleet reports: the run metadata an action can see, and the report
files with their history.

Each run writes ``<base>-<run id>.<ext>`` (the run id is the run's start, ``YYYYmmddTHHMMSSZ``)
and refreshes ``<base>.<ext>``, the copy of the latest run; older timestamped files beyond
``keep`` runs are removed. Every file is written atomically (temp file + rename in the same
directory), so a reader never sees half a report and a failed write leaves the last one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError
from ansible_collections.kcrash.nfqueue.plugins.plugin_utils import collection_meta

_COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_STAMP = "%Y%m%dT%H%M%SZ"


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def collection_version():
    """This collection's version (plugin_utils.collection_meta: MANIFEST.json when installed
    from a tarball, else galaxy.yml); None when it cannot be read."""
    try:
        return collection_meta.collection_info(_COLLECTION_ROOT)["version"]
    except KcrashInputError:
        return None


def ansible_version():
    try:
        from ansible.release import __version__
        return __version__
    except ImportError:  # pragma: no cover
        return None


def run_info(task_vars, answered, task, complete):
    """The report's ``run`` object. The run started when its first host answered detection (the
    earliest of ``answered``, the hosts' first answer times; the run id derives from it, so
    every write of one run shares the files)."""
    now = utc_now()
    answers = sorted(a for a in answered if a)
    started = answers[0] if answers else iso(now)
    try:
        run_id = datetime.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ").strftime(_STAMP)
    except ValueError:
        run_id = now.strftime(_STAMP)
    return report_record.run(
        task_vars, run_id, started, iso(now) if complete else None, collection_version=collection_version(),
        ansible_version=ansible_version(), playbook=task_vars.get("ansible_play_name"),
        check_mode=bool(task.check_mode), diff_mode=bool(task.diff))


def _write_atomic(path, text):
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(text))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def checked_keep(what, keep):
    """``keep`` (how many runs' timestamped files to keep) when it is 1 or more; else the
    task fails, the message starting with ``what`` (e.g. ``exposure report``)."""
    if keep < 1:
        raise AnsibleActionFail("%s: keep must be 1 or more (got %d)" % (what, keep))
    return keep


def write_or_fail(what, directory, base, run_id, texts, keep):
    """:func:`write`; an OSError fails the task with a message naming ``what`` and the directory."""
    try:
        return write(directory, base, run_id, texts, keep)
    except OSError as e:
        raise AnsibleActionFail("%s: cannot write under %s: %s" % (what, directory, e))


def write(directory, base, run_id, texts, keep):
    """Write ``texts`` ({ext: text}) as the run's timestamped files and the latest copies;
    keep the newest ``keep`` runs. Returns ``(latest paths, timestamped paths, removed)``."""
    os.makedirs(directory, exist_ok=True)
    latest, stamped = {}, {}
    for ext, text in texts.items():
        stamped[ext] = os.path.join(directory, "%s-%s.%s" % (base, run_id, ext))
        latest[ext] = os.path.join(directory, "%s.%s" % (base, ext))
        _write_atomic(stamped[ext], text)
        _write_atomic(latest[ext], text)
    pattern = re.compile(r"^%s-([0-9]{8}T[0-9]{6}Z)\.([A-Za-z0-9.]+)$" % re.escape(base))
    runs = {}
    for name in os.listdir(directory):
        m = pattern.match(name)
        if m:
            runs.setdefault(m.group(1), []).append(name)
    removed = []
    for old in sorted(runs, reverse=True)[max(1, keep):]:
        for name in runs[old]:
            os.unlink(os.path.join(directory, name))
            removed.append(os.path.join(directory, name))
    return latest, stamped, sorted(removed)
