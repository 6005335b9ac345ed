"""What a disaster measured for each affected system: the time it took to recover, against its
recovery time objective (RTO), and the data lost, against its recovery point objective (RPO).

The recovery time runs from the interruption of service (`Disaster.interrupted_at`) to the
restore that held (`AffectedSystem.restored_at`); the data lost is the span between the last
recovery point restored and the interruption. A figure not yet known is None, never zero."""

from datetime import timedelta

from django.utils import timezone

from incidentdesk.recovery.models import AffectedSystem, SystemState


def recovery_time(affected: AffectedSystem) -> timedelta | None:
    """restored_at − interrupted_at, or None while the system is not restored."""
    if affected.restored_at is None:
        return None
    return affected.restored_at - affected.disaster.interrupted_at


def data_loss(affected: AffectedSystem) -> timedelta | None:
    """interrupted_at − last_recovery_point_at (never below zero: a recovery point after the
    interruption lost nothing), or None while no recovery point is recorded."""
    if affected.last_recovery_point_at is None:
        return None
    return max(affected.disaster.interrupted_at - affected.last_recovery_point_at, timedelta(0))


def rto_met(affected: AffectedSystem) -> bool | None:
    measured = recovery_time(affected)
    if measured is None:
        return None
    return measured <= timedelta(minutes=affected.system.rto_minutes)


def rpo_met(affected: AffectedSystem) -> bool | None:
    measured = data_loss(affected)
    if measured is None:
        return None
    return measured <= timedelta(minutes=affected.system.rpo_minutes)


def clock(affected: AffectedSystem, now=None) -> dict:
    """The clock against the RTO: `elapsed` since the interruption (stopped at the restore,
    or when the system was stood down to operational), the `rto`, what `remaining` of it
    (zero once over), whether it is `over`, and whether it is still `running`."""
    now = now or timezone.now()
    if affected.state == SystemState.RESTORED and affected.restored_at is not None:
        end, running = affected.restored_at, False
    elif affected.state == SystemState.OPERATIONAL:
        end, running = affected.state_changed_at, False
    else:
        end, running = now, True
    elapsed = max(end - affected.disaster.interrupted_at, timedelta(0))
    rto = timedelta(minutes=affected.system.rto_minutes)
    return {
        "elapsed": elapsed,
        "rto": rto,
        "remaining": max(rto - elapsed, timedelta(0)),
        "over": elapsed > rto,
        "running": running,
    }
