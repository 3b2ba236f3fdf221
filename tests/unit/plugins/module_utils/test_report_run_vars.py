# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's run metadata records the run's own variables (report_record._RUN_VARS): each
must be a variable some playbook or role still reads, so that a removed one (e.g.
kcrash_detect_become) does not linger there."""

import os
import re

from ansible_collections.kcrash.nfqueue.plugins.module_utils import report_record

from conftest import REPO


def _playbook_and_role_text():
    texts = []
    for top in ("playbooks", "roles"):
        for root, _dirs, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                if name.endswith((".yml", ".yaml", ".j2")):
                    with open(os.path.join(root, name)) as f:
                        texts.append(f.read())
    return "\n".join(texts)


def test_every_recorded_run_variable_is_read_by_a_playbook_or_role():
    text = _playbook_and_role_text()
    unused = [n for n in report_record._RUN_VARS  # pylint: disable=protected-access
              if not re.search(r"\b%s\b" % re.escape(n), text)]
    assert unused == []
