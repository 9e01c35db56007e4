"""axe-core in the browser tests: ``axe_violations(page)`` runs Deque's engine on the page as
it stands and returns what it finds, worst first; ``format_violations`` makes that readable
in an assertion message.

axe-core comes from the npm registry, pinned in the repository's package-lock.json, and
``scripts/services.sh install`` (run by ``make test``) puts it in ``node_modules/``. It is
evaluated through the DevTools protocol (``page.evaluate``), not added as a ``<script>``:
the pages run under the server's own strict CSP (``config.middleware.POLICY``), which refuses
inline scripts, and an evaluation is not subject to the page's CSP, so the check adds no
CSP violation.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, TypedDict

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
IMPACT_ORDER = ("critical", "serious", "moderate", "minor")

# axe.run's own defaults (every WCAG A/AA rule and the best practices), results trimmed to
# the violations; a node's target is its CSS selector.
RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map((t) => Array.isArray(t) ? t.join(" >>> ") : t).join(" "),
      html: n.html,
      summary: n.failureSummary || "",
    })),
  }));
}"""


class AxeNode(TypedDict):
    target: str
    html: str
    summary: str


class AxeViolation(TypedDict):
    id: str
    impact: str
    help: str
    helpUrl: str
    nodes: list[AxeNode]


@cache
def axe_source() -> str:
    if not AXE_JS.is_file():
        raise RuntimeError(
            f"{AXE_JS} is missing: run `bash scripts/services.sh install` "
            "(npm ci --no-audit --no-fund at the repository root)"
        )
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(
    page: Any, *, impacts: tuple[str, ...] = ("critical", "serious")
) -> list[AxeViolation]:
    """The page's axe violations of the given impacts, worst first."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[AxeViolation] = page.evaluate(RUN)
    chosen = [v for v in found if v["impact"] in impacts]
    return sorted(chosen, key=lambda v: (IMPACT_ORDER.index(v["impact"]), v["id"]))


def format_violations(violations: list[AxeViolation], *, limit: int = 5) -> str:
    """One paragraph per rule: impact, rule id, what it asks, its help page, then up to
    ``limit`` failing nodes as selector and HTML."""
    if not violations:
        return "no violations"
    blocks = []
    for violation in violations:
        nodes = violation["nodes"]
        lines = [
            f"[{violation['impact']}] {violation['id']} on {len(nodes)} node(s):"
            f" {violation['help']} ({violation['helpUrl']})"
        ]
        for node in nodes[:limit]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
        if len(nodes) > limit:
            lines.append(f"    … and {len(nodes) - limit} more")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def assert_no_axe_violations(
    page: Any, *, impacts: tuple[str, ...] = ("critical", "serious"), where: str = ""
) -> None:
    """Fail with every critical or serious violation on the page, named by rule and node."""
    violations = axe_violations(page, impacts=impacts)
    label = where or page.url
    assert not violations, f"axe on {label}:\n{format_violations(violations)}"


def rule_ids(violations: list[AxeViolation]) -> list[str]:
    return [violation["id"] for violation in violations]
