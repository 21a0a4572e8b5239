"""robots.txt for the audit: Lighthouse's validator, and "which rule blocks this URL?".

Decisions (may this agent fetch this URL?) are Protego's, as in the crawler, so the
audit and the crawl never disagree. The rule *text* shown as evidence comes from a
small longest-match finder over the same file (RFC 9309: the longest matching pattern
wins, `allow` wins ties), which only has to explain a decision already made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

# Lighthouse robots-txt audit: the directives it knows.
KNOWN_DIRECTIVES = frozenset(
    {
        "user-agent",
        "allow",
        "disallow",
        "sitemap",
        "crawl-delay",
        "clean-param",
        "host",
        "request-rate",
        "visit-time",
        "noindex",
    }
)
SEARCH_AGENT = "Googlebot"


@dataclass(frozen=True)
class RobotsLine:
    number: int
    directive: str
    value: str
    text: str


@dataclass(kw_only=True)
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[RobotsLine] = field(default_factory=list)


def robots_lines(text: str) -> list[tuple[int, str]]:
    """Non-empty lines without comments, numbered from 1."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append((number, line))
    return out


def validate(text: str) -> list[dict[str, object]]:
    """Lighthouse's robots.txt problems: one `{line, text, problem}` per bad line."""
    problems: list[dict[str, object]] = []
    in_group = False
    for number, line in robots_lines(text):
        problem, in_group = _line_problem(line, in_group)
        if problem:
            problems.append({"line": number, "text": line, "problem": problem})
    return problems


def _line_problem(line: str, in_group: bool) -> tuple[str | None, bool]:
    """The problem of one line (or None), and whether a user-agent group is open."""
    directive, colon, value = line.partition(":")
    directive, value = directive.strip().lower(), value.strip()
    if not colon:
        return "syntax not understood (no colon)", in_group
    if directive not in KNOWN_DIRECTIVES:
        return f"unknown directive {directive!r}", in_group
    if directive == "user-agent":
        return ("no user-agent specified" if not value else None), True
    if directive in ("allow", "disallow"):
        return _pattern_problem(value, in_group), in_group
    if directive == "sitemap" and not _absolute_http(value):
        return "invalid sitemap URL (must be absolute)", in_group
    return None, in_group


def _pattern_problem(value: str, in_group: bool) -> str | None:
    if not in_group:
        return "rule before any user-agent"
    if value and not value.startswith(("/", "*")):
        return 'pattern should be empty or start with "/" or "*"'
    if "$" in value[:-1]:
        return '"$" should only be used at the end of the pattern'
    return None


def _absolute_http(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https", "ftp") and bool(parts.netloc)


class RobotsRules:
    """One robots.txt: Protego's decisions plus the rule that explains them."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parser = Protego.parse(text)
        self.groups = _groups(text)

    def allows(self, url: str, agent: str) -> bool:
        return bool(self.parser.can_fetch(url, agent))

    def rule_for(self, url: str, agent: str) -> str | None:
        """`line N: Disallow: /x` for the rule that disallows `url` to `agent`, if found."""
        rules = _rules_for_agent(self.groups, agent)
        best = _longest_match(rules, _path_of(url))
        if best is None or best.directive != "disallow":
            return None
        return f"line {best.number}: {best.text}"

    def blocking_rule(self, url: str, agents: tuple[str, ...]) -> str | None:
        """Why `url` is disallowed to the first of `agents` that may not fetch it, or None."""
        for agent in agents:
            if not self.allows(url, agent):
                rule = self.rule_for(url, agent) or "disallowed"
                return f"{rule} (user-agent {agent})"
        return None


def _groups(text: str) -> list[_Group]:
    """User-agent groups in order; consecutive user-agent lines share one group."""
    groups: list[_Group] = []
    current: _Group | None = None
    for number, line in robots_lines(text):
        directive, _, value = line.partition(":")
        directive, value = directive.strip().lower(), value.strip()
        if directive == "user-agent":
            if current is None or current.rules:
                current = _Group()
                groups.append(current)
            current.agents.append(value.lower())
        elif directive in ("allow", "disallow") and current is not None:
            current.rules.append(RobotsLine(number, directive, value, line))
    return groups


def _rules_for_agent(groups: list[_Group], agent: str) -> list[RobotsLine]:
    """Rules of the groups naming the agent (longest name that matches), else of `*`."""
    token = agent.lower()
    names = [name for group in groups for name in group.agents if name != "*" and name in token]
    chosen = max(names, key=len) if names else "*"
    return [rule for group in groups if chosen in group.agents for rule in group.rules]


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _longest_match(rules: list[RobotsLine], path: str) -> RobotsLine | None:
    """The matching rule with the longest pattern; `allow` wins a tie."""
    matching = [rule for rule in rules if rule.value and _matches(rule.value, path)]
    if not matching:
        return None
    return max(matching, key=lambda rule: (len(rule.value), rule.directive == "allow"))


def _matches(pattern: str, path: str) -> bool:
    anchored = pattern.endswith("$")
    body = re.escape(pattern.rstrip("$")).replace(r"\*", ".*")
    return re.match(body + ("$" if anchored else ""), path) is not None
