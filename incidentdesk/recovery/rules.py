"""The rules of a system's state during a disaster (no ORM here).

The way forward is operational → maintenance | read_only | offline → restoring → verifying →
restored. A step that fails goes back to an earlier state: verifying back to restoring,
restoring back to where the system was held, restored back to restoring or offline when the
restored system fails. A system held in maintenance or read-only can be stood down to
operational when nothing needs restoring after all.
"""

from incidentdesk.recovery.models import SystemState as S

ALLOWED: dict[str, tuple[str, ...]] = {
    S.OPERATIONAL: (S.MAINTENANCE, S.READ_ONLY, S.OFFLINE),
    S.MAINTENANCE: (S.READ_ONLY, S.OFFLINE, S.RESTORING, S.OPERATIONAL),
    S.READ_ONLY: (S.MAINTENANCE, S.OFFLINE, S.RESTORING, S.OPERATIONAL),
    S.OFFLINE: (S.MAINTENANCE, S.READ_ONLY, S.RESTORING),
    S.RESTORING: (S.VERIFYING, S.MAINTENANCE, S.READ_ONLY, S.OFFLINE),
    S.VERIFYING: (S.RESTORED, S.RESTORING),
    S.RESTORED: (S.RESTORING, S.OFFLINE),
}

# States a system is out of normal service in: its recovery clock runs.
DOWN = (S.MAINTENANCE, S.READ_ONLY, S.OFFLINE, S.RESTORING, S.VERIFYING)
# States a system is back in: operational (stood down) or restored.
BACK = (S.OPERATIONAL, S.RESTORED)


def allowed_moves(state: str) -> tuple[str, ...]:
    return ALLOWED.get(state, ())


def move_allowed(from_state: str, to_state: str) -> bool:
    return to_state in allowed_moves(from_state)


def state_label(state: str) -> str:
    return S(state).label if state in S.values else state


def refusal(from_state: str, to_state: str) -> str:
    """The words of a refused move: what is allowed from here instead."""
    allowed = ", ".join(allowed_moves(from_state)) or "nothing"
    return f"a system cannot go from {from_state} to {to_state}; from {from_state}: {allowed}"
