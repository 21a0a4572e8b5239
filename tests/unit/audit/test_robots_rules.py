"""robots.txt in the audit: Lighthouse's validator, and the rule that explains a block."""

from __future__ import annotations

import pytest

from seology.audit.robots_rules import RobotsRules, validate


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Disallow /x", "no colon"),  # no colon at all
        ("Disalow: /x", "unknown directive"),  # a typo is an unknown directive
        ("User-agent:", "no user-agent"),  # empty user agent
        ("Disallow: x", 'start with "/"'),  # pattern not starting with / or *
        ("Disallow: /a$b", '"$"'),  # $ not last
        ("Sitemap: /sitemap.xml", "invalid sitemap"),  # relative sitemap URL
    ],
)
def test_each_lighthouse_rule_flags_its_line(line: str, problem: str) -> None:
    """The problem names the line and what is wrong with it."""
    problems = validate(f"User-agent: *\n{line}\n")
    assert len(problems) == 1
    assert problems[0]["line"] == 2
    assert problem in str(problems[0]["problem"])


def test_a_rule_before_any_user_agent_is_flagged() -> None:
    """Rules belong to a group."""
    assert [p["problem"] for p in validate("Disallow: /x\nUser-agent: *\n")] == [
        "rule before any user-agent"
    ]


def test_a_valid_file_has_no_problems() -> None:
    """Comments, blank lines, wildcards, `$` at the end and absolute sitemaps are fine."""
    text = "# hi\n\nUser-agent: *\nUser-agent: b\nAllow: /\nDisallow: *.pdf$\nDisallow:\n"
    assert validate(text + "Crawl-delay: 1\nSitemap: https://ex.com/s.xml\n") == []


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/private/x", "line 2: Disallow: /private/"),  # the only matching rule
        ("/private/open/x", None),  # a longer Allow wins
        ("/files/a.pdf", "line 4: Disallow: /*.pdf$"),  # wildcard and end anchor
        ("/files/a.pdf?x=1", None),  # `$` anchors: a query makes it not match
    ],
)
def test_rule_for_names_the_longest_matching_disallow(path: str, rule: str | None) -> None:
    """RFC 9309: longest match wins; allow wins ties; the rule text is the evidence."""
    rules = RobotsRules(
        "User-agent: *\nDisallow: /private/\nAllow: /private/open/\nDisallow: /*.pdf$\n"
    )
    assert rules.rule_for(f"https://ex.com{path}", "SeologyBot/1.0") == rule
    assert rules.allows(f"https://ex.com{path}", "SeologyBot/1.0") is (rule is None)


def test_our_own_group_is_preferred_to_the_star_group() -> None:
    """A group naming our agent replaces `*` for us, as Protego decides."""
    rules = RobotsRules("User-agent: *\nDisallow: /\n\nUser-agent: seologybot\nDisallow: /x\n")
    assert rules.allows("https://ex.com/a", "SeologyBot/1.0")
    assert rules.rule_for("https://ex.com/x", "SeologyBot/1.0") == "line 5: Disallow: /x"
