# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# This file only documents the action plugin plugins/action/sosreport_facts.py.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: sosreport_facts
short_description: Assess exposure to the NFQUEUE/LRO panic from an unpacked sosreport
version_added: 1.0.0
author: kcrash.nfqueue maintainers (@kcrash-nfqueue)
description:
  - "Runs on the controller and reads an unpacked sosreport directory (sos 3.x/4.x layout):
    C(uname), C(hostname), C(etc/*-release), C(installed-rpms) or C(sos_commands/dpkg/dpkg_-l),
    C(sos_commands/*/iptables-save) and C(ip6tables-save), C(sos_commands/*/nft_*list_ruleset),
    C(sos_commands/networking/ethtool_-k_*) and C(ethtool_-i_*), C(ip -d address), C(sysctl -a),
    C(var/crash/*/vmcore-dmesg.txt), C(dmesg), C(sos_commands/login/last*), kdump files, saved
    rule files and network configuration."
  - Maps them into the live probe's section structure and reuses the same parser and verdict as
    M(kcrash.nfqueue.exposure_facts); the result has the same C(kcrash_nfqueue) shape.
  - Only the files it needs are read, each bounded to 4 MiB; symlinks are not followed.
extends_documentation_fragment:
  - kcrash.nfqueue.attributes.facts
options:
  path:
    description: The unpacked sosreport directory on the controller.
    type: path
    required: true
  name:
    description: Label for the report (default the directory name).
    type: str
  partial:
    description:
      - Read cut or hand-edited files as far as they go (a sosreport is offline input). An
        C(iptables-save) file cut before C(COMMIT), or holding only C(grep NFQUEUE) lines, an nft
        ruleset missing its last C(}), an C(ethtool -k) listing with a note on a line still give
        every NFQUEUE rule and feature the text shows; the result says C(partial=true) with
        C(kcrash_nfqueue.partial_reasons), the verdict carries the caveat in its reasons, and a
        table, position or reachability the text cannot tell is V(null) and named in the rule's
        C(unknown). A partial ruleset that shows no NFQUEUE rule leaves the rules leg unknown.
      - V(false) keeps the live probe's strictness (such a file fails the report with the parse error).
    type: bool
    default: true
notes:
  - What a sosreport lacks (e.g. C(iptables --version), live C(/sys/class/net) links) is taken
    from what it has (the save header, C(ip -d address), C(ethtool -i) bus-info); missing parts
    show up in C(kcrash_nfqueue.probe.missing_tools).
"""

EXAMPLES = r"""
- name: Assess a sosreport
  kcrash.nfqueue.sosreport_facts:
    path: /srv/sos/sosreport-web49-2017-10-31
  register: sos

- name: Verdict
  ansible.builtin.debug:
    msg: "{{ sos.kcrash_nfqueue.exposure.level }}"
"""

RETURN = r"""
name:
  description: The label of this sosreport.
  returned: always
  type: str
exposure:
  description: The exposure level.
  returned: success
  type: str
partial:
  description: True when some input was incomplete and read as far as it went (see O(partial)).
  returned: success
  type: bool
msg:
  description: The label and its exposure level.
  returned: always
  type: str
kcrash_nfqueue:
  description:
    - The same facts M(kcrash.nfqueue.exposure_facts) returns under C(ansible_facts.kcrash_nfqueue)
      (see its RETURN for every key); C(probe) also has C(source=sosreport), C(path) and C(files_read);
      with O(partial) also C(partial) and C(partial_reasons) (and C(exposure.partial)).
  returned: success
  type: dict
ansible_facts:
  description: C(kcrash_nfqueue), as above.
  returned: success
  type: dict
"""
