# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the fault-injection suite (tests/unit/faults): throwaway network namespaces
with real iptables/ethtool, hostile values, a tiny full filesystem."""

import os
import shutil
import subprocess
import uuid

import pytest

NEEDS_ROOT = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("iptables-legacy"),
    reason="needs root, ip netns and iptables-legacy",
)


def canaries(cdir):
    """Hostile values that leave a file in ``cdir`` if a shell ever runs them."""
    c = str(cdir)
    return [
        "$(touch %s/p1)" % c,
        "`touch %s/p2`" % c,
        "x'$(touch %s/p3)'" % c,
        "x'; touch %s/p4; '" % c,
        'x"; touch %s/p5; "' % c,
        "x;touch %s/p6" % c,
        "$(touch${IFS}%s/p7)" % c,
    ]


# interface names the kernel accepts (<= 15 bytes, no '/', ':' or white space) that run
# `touch kN` in the working directory if a shell ever evaluates them
IFACE_CANARIES = [";touch${IFS}k1", "`touch${IFS}k2`", "a'$(touch)k3", "a;b"]


class NS(object):
    def __init__(self, prefix="ksaf"):
        self.name = "%s-%s" % (prefix, uuid.uuid4().hex[:8])
        subprocess.run(["ip", "netns", "add", self.name], check=True)

    def sh(self, script, cwd=None, env=None):
        p = subprocess.run(["ip", "netns", "exec", self.name, "/bin/sh", "-c", script], capture_output=True,
                           text=True, check=False, cwd=cwd, env=env)
        return p.returncode, p.stdout, p.stderr

    def ok(self, script, **kw):
        rc, out, err = self.sh(script, **kw)
        assert rc == 0, (script, err)
        return out

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


def sh_syntax_ok(script):
    """``sh -n`` (dash) accepts ``script``."""
    p = subprocess.run(["/bin/sh", "-n"], input=script, capture_output=True, text=True, check=False)
    return p.returncode == 0, p.stderr


class TinyFs(object):
    """A tmpfs of ``kib`` KiB mounted on ``path`` (root only); ``fill()`` leaves no byte free."""

    def __init__(self, path, kib=64):
        self.path = str(path)
        os.makedirs(self.path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk,mode=0755" % kib, "tmpfs", self.path], check=True)

    def fill(self):
        fd = os.open(os.path.join(self.path, ".filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)

    def free(self):
        os.unlink(os.path.join(self.path, ".filler"))

    def close(self):
        subprocess.run(["umount", "-l", self.path], check=False)
