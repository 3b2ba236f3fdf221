# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""drop/options.py (pure): task options are validated up front."""

import pytest

from ansible_collections.kcrash.nfqueue.plugins.module_utils.drop import options as drop_options
from ansible_collections.kcrash.nfqueue.plugins.module_utils.errors import KcrashInputError


@pytest.mark.parametrize("kw", [{"target": "QUEUE"}, {"queue_nums": ["x"]}, {"comment_regex": "("},
                                {"families": ["ipv5"]}, {"chains": ["a b"]}, {"ssh_port": 0},
                                {"controller_address": "not-an-ip"}])
def test_bad_options(kw):
    with pytest.raises(KcrashInputError):
        drop_options.Options(**kw)
