"""A small declarative state machine: states and allowed transitions declared once per entity.

    REFERRAL = StateMachine("referral", {
        "received": {"triaged", "cancelled"},
        "triaged": {"ordered", "cancelled"},
    }, labels={...})
    REFERRAL.check("received", "scheduled")   # raises InvalidTransition

Who may take a transition is the permission matrix's business (irflow.accounts.permissions);
this only says which edges exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from irflow.lib.errors import InvalidTransition

MSG_INVALID_TRANSITION = "A {entity} cannot go from “{current}” to “{target}”."
MSG_UNKNOWN_STATE = "“{state}” is not a state of a {entity}."


class StateMachine:
    def __init__(
        self,
        entity: str,
        transitions: Mapping[str, Iterable[str]],
        *,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.entity = entity
        self.transitions: dict[str, frozenset[str]] = {
            s: frozenset(t) for s, t in transitions.items()
        }
        targets = set().union(*self.transitions.values()) if self.transitions else set()
        self.states: frozenset[str] = frozenset(self.transitions) | frozenset(targets)
        for state in targets - set(self.transitions):
            self.transitions[state] = frozenset()  # terminal
        self.labels = dict(labels or {})

    def label(self, state: str) -> str:
        return self.labels.get(state, state.replace("_", " "))

    def allowed(self, current: str) -> frozenset[str]:
        return self.transitions.get(current, frozenset())

    def can(self, current: str, target: str) -> bool:
        return target in self.allowed(current)

    def check(self, current: str, target: str) -> None:
        """Raise InvalidTransition unless `current -> target` is a declared edge."""
        for state in (current, target):
            if state not in self.states:
                raise InvalidTransition(
                    MSG_UNKNOWN_STATE.format(state=state, entity=self.entity),
                    code="unknown_state",
                )
        if not self.can(current, target):
            raise InvalidTransition(
                MSG_INVALID_TRANSITION.format(
                    entity=self.entity, current=self.label(current), target=self.label(target)
                )
            )

    def forbidden_edges(self) -> list[tuple[str, str]]:
        """Every (from, to) pair that is not allowed — tests walk these."""
        return [
            (a, b)
            for a in sorted(self.states)
            for b in sorted(self.states)
            if a != b and not self.can(a, b)
        ]

    def terminal(self) -> frozenset[str]:
        return frozenset(s for s, t in self.transitions.items() if not t)
