"""Admin for support staff over the sharing engine: shares, members, jobs, changes,
snapshots and the audit trail.

The engine's own records (shared records, links, the outbox, jobs, snapshots, audit) are
view-only here: only the engine writes them, and a hand edit would break its guarantees
(versions, exactly-once application, the audit trail itself). What support staff may do
goes through the same services and tasks as every other path:

- a member's permissions (include, edit, delete) are changed by
  `services.member_set_permissions`, which audits the change;
- "Ressincronizar" (a share, or one member) queues a resync job (`services.resync_start`);
- "Reenviar alterações com falha" applies them again (`services.changes_retry`);
- "Retomar ativação que falhou" starts a new activation job (`services.job_resume`);
- "Restaurar cópia anterior" runs `services.snapshot_restore`, a catalog write like any
  other: the sharing permissions apply and, while the record is shared, the restored
  values reach the other members. A deleted record's copy includes it again (a shared
  one in every company its deletion reached), refused if its codes were reused since.

A share is configured, activated and left through the wizard or the commands, never here.
Every action reports what it did with messages; a refusal is a message, never an error page.
"""

# Importing the modules registers their ModelAdmins (Django's autodiscover imports only
# this package); `queue` holds django-q2's own pages (tasks, schedules, the queue) in pt-BR.
from sharing.admin import audit, changes, companies, jobs, queue, records, shares, snapshots  # noqa: F401
