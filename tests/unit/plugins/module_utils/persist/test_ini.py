# -*- coding: utf-8 -*-
# Copyright: kcrash.nfqueue contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The INI-style line editor shared by the NetworkManager keyfile and systemd .link back ends."""

from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist import ini
from ansible_collections.kcrash.nfqueue.plugins.module_utils.persist.base import effective_files

KEY_RE = ini.key_line_re("A-Za-z0-9_.-")
LINK_KEY_RE = ini.key_line_re("A-Za-z0-9")


def _false_is_kept(current, wanted):
    return current.strip().lower() in ("false", "no", "0", "off")


def test_creates_missing_section_after_blank_line():
    text = "[connection]\nid=a\n"
    new, changed = ini.set_keys(text, "ethtool", [("feature-lro", "false"), ("feature-gro", "false")], KEY_RE)
    assert changed
    assert new == "[connection]\nid=a\n\n[ethtool]\nfeature-lro=false\nfeature-gro=false\n"


def test_creates_section_without_doubling_an_existing_blank_line():
    new, changed = ini.set_keys("[connection]\nid=a\n\n", "ethtool", [("feature-lro", "false")], KEY_RE)
    assert changed
    assert new == "[connection]\nid=a\n\n[ethtool]\nfeature-lro=false\n"


def test_creates_section_in_empty_text():
    assert ini.set_keys("", "Link", [("GenericReceiveOffload", "false")], LINK_KEY_RE) == (
        "[Link]\nGenericReceiveOffload=false\n", True)


def test_updates_value_keeping_spacing_and_line_ending():
    text = "[Link]\n  LargeReceiveOffload = yes  \r\nNamePolicy=kernel\n"
    new, changed = ini.set_keys(text, "Link", [("LargeReceiveOffload", "false")], LINK_KEY_RE)
    assert changed
    assert new == "[Link]\n  LargeReceiveOffload = false  \r\nNamePolicy=kernel\n"


def test_equivalent_value_is_left_alone_and_same_object_returned():
    text = "[ethtool]\nfeature-lro=off\n"
    new, changed = ini.set_keys(text, "ethtool", [("feature-lro", "false")], KEY_RE, keep=_false_is_kept)
    assert not changed
    assert new is text
    # without the format's notion of "same", "off" is rewritten
    new, changed = ini.set_keys(text, "ethtool", [("feature-lro", "false")], KEY_RE)
    assert changed and new == "[ethtool]\nfeature-lro=false\n"


def test_inserts_missing_key_after_last_key_not_after_trailing_comment_or_blank():
    text = "[Link]\nNamePolicy=kernel\n# trailing note\n\n[Other]\nX=1\n"
    new, changed = ini.set_keys(text, "Link", [("NamePolicy", "kernel"), ("GenericReceiveOffload", "false")],
                                LINK_KEY_RE)
    assert changed
    assert new == "[Link]\nNamePolicy=kernel\nGenericReceiveOffload=false\n# trailing note\n\n[Other]\nX=1\n"


def test_inserts_after_header_when_section_has_no_keys():
    text = "[ethtool]\n# nothing yet\n[ipv4]\nmethod=auto\n"
    new, changed = ini.set_keys(text, "ethtool", [("feature-tso", "false")], KEY_RE)
    assert changed
    assert new == "[ethtool]\nfeature-tso=false\n# nothing yet\n[ipv4]\nmethod=auto\n"


def test_no_trailing_newline_input():
    new, changed = ini.set_keys("[Link]\nNamePolicy=kernel", "Link", [("LargeReceiveOffload", "false")],
                                LINK_KEY_RE)
    assert changed
    assert new == "[Link]\nNamePolicy=kernel\nLargeReceiveOffload=false\n"
    new, changed = ini.set_keys("[connection]\nid=a", "ethtool", [("feature-lro", "false")], KEY_RE)
    assert new == "[connection]\nid=a\n\n[ethtool]\nfeature-lro=false\n"
    # an edited last line keeps having no newline
    new, changed = ini.set_keys("[ethtool]\nfeature-lro=true", "ethtool", [("feature-lro", "false")], KEY_RE)
    assert new == "[ethtool]\nfeature-lro=false"


def test_preserves_comments_and_never_edits_commented_keys():
    text = ("# top comment\n[ethtool]\n#feature-lro=true\n; feature-gro=true\nfeature-lro=true\n"
            "[connection]\nfeature-gro=true\n")
    new, changed = ini.set_keys(text, "ethtool", [("feature-lro", "false"), ("feature-gro", "false")], KEY_RE)
    assert changed
    assert new == ("# top comment\n[ethtool]\n#feature-lro=true\n; feature-gro=true\nfeature-lro=false\n"
                   "feature-gro=false\n[connection]\nfeature-gro=true\n")


def test_last_of_duplicate_sections_is_edited_and_names_are_case_sensitive():
    text = "[Link]\nA=1\n[link]\nA=1\n[Link]\nA=1\n"
    new, changed = ini.set_keys(text, "Link", [("A", "2"), ("a", "3")], LINK_KEY_RE)
    assert changed
    assert new == "[Link]\nA=1\n[link]\nA=1\n[Link]\nA=2\na=3\n"


def test_key_characters_are_per_format():
    text = "[ethtool]\nfeature-lro=true\n"
    assert ini.set_keys(text, "ethtool", [("feature-lro", "false")], KEY_RE)[0] == "[ethtool]\nfeature-lro=false\n"
    # a .link key cannot contain "-": the line is not a key line there, so the key is added
    new = ini.set_keys(text, "ethtool", [("feature-lro", "false")], LINK_KEY_RE)[0]
    assert new == "[ethtool]\nfeature-lro=false\nfeature-lro=true\n"


def test_idempotent():
    text = "[connection]\nid=a\n[ethtool]\nfeature-gro=on\n"
    pairs = [("feature-lro", "false"), ("feature-gro", "false")]
    once = ini.set_keys(text, "ethtool", pairs, KEY_RE, keep=_false_is_kept)[0]
    assert ini.set_keys(once, "ethtool", pairs, KEY_RE, keep=_false_is_kept) == (once, False)


def test_section_pairs_in_file_order_skipping_comments():
    text = "ignored=1\n[A]\nx=1\n# y=2\n;z=3\nx = 4 \n[B]\n[A]\nw=5\n"
    assert ini.section_pairs(text, KEY_RE) == [("A", [("x", "1"), ("x", "4")]), ("B", []), ("A", [("w", "5")])]
    assert ini.section_pairs(None, KEY_RE) == []


def test_effective_files_earlier_directory_hides_same_name():
    files = {"/etc/d/10-a.link": "", "/usr/lib/d/10-a.link": "", "/usr/lib/d/99-b.link": "",
             "/usr/lib/d/sub/x.link": "", "/etc/d/notes.txt": ""}
    assert effective_files(files, ("/etc/d", "/usr/lib/d"), ".link") == {
        "10-a.link": "/etc/d/10-a.link", "99-b.link": "/usr/lib/d/99-b.link"}


def test_values_ending_in_x_are_read_and_replaced_whole():
    """A value is everything after `=` up to the line end (systemd.syntax(7), GKeyFile): one
    ending in `X` (an interface name such as `ethX`) is neither cut nor left behind."""
    text = "[Match]\nOriginalName=ethX\n[Link]\nAlias=nicX\n"
    assert ini.section_pairs(text, LINK_KEY_RE) == [
        ("Match", [("OriginalName", "ethX")]), ("Link", [("Alias", "nicX")])]
    new, changed = ini.set_keys(text, "Link", [("Alias", "nic0")], LINK_KEY_RE)
    assert changed and new == "[Match]\nOriginalName=ethX\n[Link]\nAlias=nic0\n"


def test_new_section_after_a_longer_file_without_trailing_newline():
    """The last line of a file with no final newline is ended before a new section is
    appended (blank-line separated), and no other line changes."""
    new, changed = ini.set_keys("[Match]\nOriginalName=eth0\nDriver=ixgbe", "Link",
                                [("LargeReceiveOffload", "false")], LINK_KEY_RE)
    assert changed
    assert new == "[Match]\nOriginalName=eth0\nDriver=ixgbe\n\n[Link]\nLargeReceiveOffload=false\n"
