"""Which policies exist and which one a customer follows.

Shipped profiles live in the package (``huikuan/policies/*.toml``); a company adds or overrides
them in ``settings.policy_dir``. Every file is validated; one with problems makes the whole set
fail to load (``PolicyInvalid`` listing every problem), so a broken edit never half-applies.
A customer follows its own ``policy``, else its segment's (``segment_policy``), else ``default``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..domain.errors import NotFound, PolicyInvalid, Problem
from ..domain.policy.load import parse_policy
from ..domain.policy.model import Policy

SHIPPED = Path(__file__).resolve().parents[1] / "policies"


@dataclass(frozen=True)
class PolicySet:
    policies: Mapping[str, Policy]
    by_segment: Mapping[str, str]

    def for_customer(self, policy: str | None, segment: str | None) -> Policy:
        pid = policy or (self.by_segment.get(segment) if segment else None) or "default"
        found = self.policies.get(pid)
        if found is None:
            raise NotFound("policy.not_found", what="policy", value=pid)
        return found


@lru_cache(maxsize=64)
def _parse(text: str, name: str) -> Policy:
    """Parsed once per content: pages and the daily run load the set on every call (25 ms of parsing a page
    view at 10^5 customers); an edited file has a new text, so it is parsed again. ``Policy`` is frozen."""
    return parse_policy(text, name)


def load_policies(dirs: Iterable[Path] = (), by_segment: Mapping[str, str] | None = None) -> PolicySet:
    problems: list[Problem] = []
    policies: dict[str, Policy] = {}
    for folder in (SHIPPED, *dirs):
        for path in sorted(Path(folder).glob("*.toml")):
            try:
                p = _parse(path.read_text(encoding="utf-8"), path.name)
            except PolicyInvalid as e:
                problems.extend(e.problems)
                continue
            except UnicodeDecodeError:
                problems.append(Problem(path.name, "", "policy.encoding", {}))
                continue
            policies[p.id] = p
    for seg, pid in (by_segment or {}).items():
        if pid not in policies:
            problems.append(Problem("segment_policy", seg, "policy.not_found", {"what": "policy", "value": pid}))
    if problems:
        raise PolicyInvalid(problems)
    return PolicySet(policies, dict(by_segment or {}))


def assign_segment(app: Any, segment: str, policy: str, *, actor: str | None = None) -> None:
    """Make ``policy`` the policy of every customer in ``segment`` that names none of its own."""
    from . import audit

    uow = app.uow()
    with uow:
        current = uow.collect.segment_policies()
        load_policies(app.policy_dirs(), {**current, segment: policy})
        uow.collect.set_segment_policy(segment, policy)
        audit.record(uow, app.clock.now(), actor, "segment.policy_assigned", "segment", segment,
                     before={"policy": current.get(segment)}, after={"policy": policy})
        uow.commit()


def in_force(app: object) -> PolicySet:
    """The policies in force (shipped and the company's own) with the segment assignments, for reading."""
    with app.uow(write=False) as uow:  # type: ignore[attr-defined]
        segments = uow.collect.segment_policies()
    return load_policies(app.policy_dirs(), segments)  # type: ignore[attr-defined]
