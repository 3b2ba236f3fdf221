# Copyright (c) kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Summary of one mutmut 2 run (scripts/mutation.sh): counts from mutmut's cache, the diff of
every surviving mutant written to a file.

    python scripts/mutation_summary.py MODULE .mutmut-cache OUT.survivors
"""

import sqlite3
import subprocess
import sys


def main(mod, cache, out):
    db = sqlite3.connect(cache)
    rows = list(db.execute("select id, status from Mutant order by id"))
    count = {}
    for dummy, status in rows:
        count[status] = count.get(status, 0) + 1
    # mutmut 2 marks a mutant "ok_suspicious" when the tests FAILED on it but took much longer
    # than the baseline run (mutmut/__init__.py: `if not survived and time_elapsed > ...`): killed
    killed = count.get("ok_killed", 0) + count.get("bad_timeout", 0) + count.get("ok_suspicious", 0)
    left = [i for i, status in rows if status == "bad_survived"]
    with open(out, "w") as f:
        for i in left:
            f.write("== mutant %d\n" % i)
            f.write(subprocess.run([sys.executable, "-m", "mutmut", "show", str(i)], capture_output=True,
                                   text=True, check=False).stdout)
    print("%s: mutants %d, killed %d, survived %d (ids %s), untested %d, score %.1f%%" % (
        mod, len(rows), killed, len(left), " ".join(str(i) for i in left) or "-", count.get("untested", 0),
        100.0 * killed / max(1, len(rows))))
    print("  survivor diffs: %s" % out)


if __name__ == "__main__":
    main(*sys.argv[1:])
