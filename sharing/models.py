"""The sharing engine's state: shares and members, canonical records, links, the outbox,
jobs, snapshots and the audit trail. Writes live in sharing/services.py and the engine
modules; nothing here saves itself."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.registries import REGISTRY_CHOICES, describe
from companies.models import Company
from omieshare.templatetags.numbers import format_number

# How a shared change came about reads for people (Change.source); Change.Action names
# the change itself.
CHANGE_SOURCES = {
    "web": "pela web", "api": "pela API", "admin": "pelo admin (suporte)", "command": "pela linha de comando",
    "restore": "ao restaurar uma cópia anterior",
}
# Change.source as a column or filter shows it to support (the raw values are what
# catalog/services.py callers pass as `source=`).
CHANGE_SOURCE_NAMES = {
    "web": "Tela (web)", "api": "API", "admin": "Admin (suporte)", "command": "Comando (linha de comando)",
    "restore": "Restauração de cópia anterior",
}


def change_source_name(source: str) -> str:
    return CHANGE_SOURCE_NAMES.get(source, source or "—")


def record_key(registry: str, key: str) -> str:
    """A shared record's match key as people write it: a product code, a masked CNPJ/CPF."""
    return describe(registry).display_key(key)


def record_label(registry: str, key: str) -> str:
    """A shared record as support searches for it: "produto A1", "cliente 11.222.333/0001-81"."""
    return f"{describe(registry).noun} {record_key(registry, key)}"


def _count(number: int, one: str, many: str) -> str:
    return f"{format_number(number)} {one if number == 1 else many}"


def resync_summary(counts: dict) -> str:
    """E.g. "Nenhuma divergência: todos os 1.170 cadastros conferem." A clean check is the
    common case and used to read "0 de 0 cadastros"; `checked` is missing in jobs older
    than this sentence."""
    drift, checked = counts.get("drift", 0), counts.get("checked")
    if not drift:
        if checked is None:
            return "Nenhuma divergência: os cadastros conferem."
        if checked == 0:
            return "Nenhum cadastro vinculado a conferir."
        if checked == 1:
            return "Nenhuma divergência: o único cadastro confere."
        return f"Nenhuma divergência: todos os {format_number(checked)} cadastros conferem."
    of = f" em {_count(checked, 'cadastro conferido', 'cadastros conferidos')}" if checked else ""
    text = f"{_count(drift, 'divergência encontrada', 'divergências encontradas')}{of}: "
    text += f"{_count(counts.get('fixed', 0), 'corrigida', 'corrigidas')}"
    if counts.get("recreated"):
        recreated = counts["recreated"]
        gone = "por ter sido apagada" if recreated == 1 else "por terem sido apagadas"
        text += f" ({_count(recreated, 'recriada', 'recriadas')} {gone} fora do sistema)"
    failed = counts.get("failed", 0)
    text += f", {_count(failed, 'não corrigida', 'não corrigidas')}." if failed else "."
    return text[0].upper() + text[1:]


def activation_summary(counts: dict) -> str:
    """E.g. "840 incluídos, 319 sobrescritos (com cópia anterior guardada), 11 já iguais
    (mantidos), 0 não copiados por conflito." """
    return (
        f"{_count(counts.get('created', 0), 'incluído', 'incluídos')}, "
        f"{_count(counts.get('overwritten', 0), 'sobrescrito', 'sobrescritos')} (com cópia anterior guardada), "
        f"{_count(counts.get('identical', 0), 'já igual (mantido)', 'já iguais (mantidos)')}, "
        f"{_count(counts.get('conflicts', 0), 'não copiado', 'não copiados')} por conflito."
    )


def permissions_text(can_create: bool, can_update: bool, can_delete: bool) -> str:
    """E.g. "inclusão, edição", or "somente leitura"."""
    names = [name for name, on in (("inclusão", can_create), ("edição", can_update), ("exclusão", can_delete)) if on]
    return ", ".join(names) or "somente leitura"


def change_action_name(action: str) -> str:
    """"inclusão", "alteração", "exclusão" (lower case); an unknown value as it is."""
    return dict(Change.Action.choices).get(action, action)


def change_text(action: str, version: int, source: str) -> str:
    """E.g. "Alteração (versão 2) pela web"."""
    what = f"{change_action_name(action)} (versão {version})"
    how = CHANGE_SOURCES.get(source, f"por {source}" if source else "")
    return f"{what.capitalize()} {how}".strip()


class Share(models.Model):
    """Compartilhamento de cadastros: one origin, its destinations, and what they share."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Rascunho"
        ACTIVATING = "activating", "Ativando"
        ACTIVE = "active", "Ativo"
        DISSOLVED = "dissolved", "Encerrado"

    origin = models.ForeignKey(
        Company, verbose_name="aplicativo origem", related_name="origin_shares", on_delete=models.PROTECT
    )
    shares_parties = models.BooleanField("clientes e fornecedores", default=False)
    shares_products = models.BooleanField("produtos", default=False)
    status = models.CharField("situação", max_length=12, choices=Status.choices, default=Status.DRAFT)
    configured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="configurado por", related_name="+",
        on_delete=models.SET_NULL, null=True, blank=True,
    )
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ativado por", related_name="+",
        on_delete=models.SET_NULL, null=True, blank=True,
    )
    created_at = models.DateTimeField("configurado em", auto_now_add=True)
    activated_at = models.DateTimeField("ativado em", null=True, blank=True)
    dissolved_at = models.DateTimeField("encerrado em", null=True, blank=True)
    # The fixed PRD code sequence: a secret key for the permutation and how many codes
    # were handed out. Neither can be changed or reset from any screen.
    code_key = models.BigIntegerField("chave da sequência de códigos", editable=False)
    code_counter = models.BigIntegerField("códigos sugeridos", default=0, editable=False)
    # When a batch task (sharing.tasks.apply_pending) was last enqueued and has not started
    # yet: the writes committed meanwhile enqueue no other (sharing/batch_apply.py).
    apply_queued_at = models.DateTimeField("lote de aplicação enfileirado em", null=True, blank=True,
                                           editable=False)

    class Meta:
        verbose_name = "compartilhamento de cadastros"
        verbose_name_plural = "compartilhamentos de cadastros"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Compartilhamento nº {self.pk} ({self.origin})"

    @property
    def registries(self) -> list[str]:
        return [r for r, on in (("party", self.shares_parties), ("product", self.shares_products)) if on]

    def get_registries_display(self) -> str:
        labels = dict(REGISTRY_CHOICES)
        return ", ".join(labels[r] for r in self.registries)


class ShareMember(models.Model):
    """A company in a share, with its own permissions: include, edit, delete."""

    class State(models.TextChoices):
        PENDING = "pending", "Aguardando ativação"
        ACTIVE = "active", "Ativo"
        REMOVED = "removed", "Removido"

    share = models.ForeignKey(Share, related_name="members", on_delete=models.CASCADE)
    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="share_memberships", on_delete=models.PROTECT
    )
    is_origin = models.BooleanField("origem", default=False)
    can_create = models.BooleanField("inclusão", default=True)
    can_update = models.BooleanField("edição", default=True)
    can_delete = models.BooleanField("exclusão", default=False)
    state = models.CharField("situação", max_length=10, choices=State.choices, default=State.PENDING)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    added_at = models.DateTimeField("incluída em", auto_now_add=True)
    activated_at = models.DateTimeField("ativada em", null=True, blank=True)
    removed_at = models.DateTimeField("removida em", null=True, blank=True)

    class Meta:
        verbose_name = "empresa do compartilhamento"
        verbose_name_plural = "empresas do compartilhamento"
        ordering = ["-is_origin", "company__legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["share", "company"],
                condition=~models.Q(state="removed"),
                name="share_member_once_while_present",
            ),
            models.UniqueConstraint(
                fields=["share"], condition=models.Q(is_origin=True), name="share_one_origin"
            ),
        ]

    def __str__(self) -> str:
        role = "origem" if self.is_origin else "destino"
        return f"{self.company} ({role})"

    def permissions_display(self) -> str:
        return permissions_text(self.can_create, self.can_update, self.can_delete)


# The engine's bulk tables (shared records, links, snapshots) keep their relations in
# Django (on_delete still cascades through the ORM) but not as database foreign keys:
# activation writes them only in set-based statements that select the parent rows in the
# same transaction, and PostgreSQL checks a foreign key one row at a time (about 11 µs a
# check on a 2-core machine, ~2.5 million checks at 100,000 records × 3 destinations, a
# sixth of activation). `manage.py sharing_status` reports orphans should any appear.
# Their own indexes are left out where a unique constraint already starts with the column.
_ENGINE_RELATION = {"db_constraint": False, "db_index": False}


class SharedRecordQuerySet(models.QuerySet):
    def live(self) -> SharedRecordQuerySet:
        """Shared records not deleted: the ones a key (CNPJ/CPF, product code) names."""
        return self.filter(deleted_at__isnull=True)


class SharedRecord(models.Model):
    """The group's canonical copy of one client/supplier or product.

    A deleted one stays as the engine's record of the deletion (its last values, its
    changes) until every member has applied it; it keeps no key: a new record may take the
    same CNPJ/CPF or code, and restoring the deletion brings this one back."""

    share = models.ForeignKey(Share, related_name="records", on_delete=models.CASCADE, **_ENGINE_RELATION)
    registry = models.CharField("cadastro", max_length=8, choices=REGISTRY_CHOICES)
    # Normalised CNPJ/CPF for parties, product code for products.
    match_key = models.CharField("chave", max_length=60)
    values = models.JSONField("valores compartilhados")
    version = models.PositiveIntegerField("versão", default=1)
    created_at = models.DateTimeField("criado em", auto_now_add=True)
    updated_at = models.DateTimeField("alterado em", auto_now=True)
    deleted_at = models.DateTimeField("excluído em", null=True, blank=True)

    objects = SharedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = "cadastro compartilhado"
        verbose_name_plural = "cadastros compartilhados"
        constraints = [
            # Only among records not deleted: a deleted record's key is free again.
            models.UniqueConstraint(
                fields=["share", "registry", "match_key"], condition=models.Q(deleted_at__isnull=True),
                name="shared_record_unique_key",
            )
        ]

    def __str__(self) -> str:
        label = self.values.get("legal_name") or self.values.get("description") or ""
        return f"{record_key(self.registry, self.match_key)} {label} (versão {self.version})"


class RecordLink(models.Model):
    """Ties a shared record to the local row that represents it in one member company."""

    shared_record = models.ForeignKey(
        SharedRecord, related_name="links", on_delete=models.CASCADE, **_ENGINE_RELATION
    )
    company = models.ForeignKey(Company, related_name="record_links", on_delete=models.CASCADE, **_ENGINE_RELATION)
    registry = models.CharField(max_length=8, choices=REGISTRY_CHOICES)
    local_id = models.BigIntegerField("registro local")
    # The SharedRecord version whose values this local row holds.
    applied_version = models.PositiveIntegerField("versão aplicada", default=0)
    last_error = models.TextField("último erro", blank=True)
    updated_at = models.DateTimeField("atualizado em", auto_now=True)

    class Meta:
        verbose_name = "vínculo de cadastro"
        verbose_name_plural = "vínculos de cadastros"
        constraints = [
            models.UniqueConstraint(fields=["shared_record", "company"], name="link_once_per_company"),
            models.UniqueConstraint(fields=["company", "registry", "local_id"], name="link_once_per_row"),
        ]
        # The share page lists links that report an error; few do, so a partial index finds
        # them without reading every link.
        indexes = [
            models.Index(fields=["shared_record"], condition=~models.Q(last_error=""), name="link_with_error")
        ]

    def __str__(self) -> str:
        return f"{self.shared_record_id} → {self.company_id}/{self.registry}/{self.local_id}"


class Change(models.Model):
    """The outbox: one accepted change of a shared record, to apply to every other member."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pendente"
        APPLIED = "applied", "Aplicada"
        FAILED = "failed", "Falhou"

    # What a person calls each change (lower case: it starts sentences and ends them).
    # "alteração" is a change made; "edição" is the permission to make one.
    class Action(models.TextChoices):
        CREATE = "create", "inclusão"
        UPDATE = "update", "alteração"
        DELETE = "delete", "exclusão"

    share = models.ForeignKey(Share, related_name="changes", on_delete=models.CASCADE)
    shared_record = models.ForeignKey(SharedRecord, related_name="changes", on_delete=models.CASCADE)
    version = models.PositiveIntegerField("versão")
    company = models.ForeignKey(
        Company, verbose_name="feita em", related_name="+", on_delete=models.PROTECT
    )
    action = models.CharField("ação", max_length=8, choices=Action.choices)
    changed_fields = models.JSONField("campos alterados", default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    source = models.CharField("origem da alteração", max_length=20, blank=True)
    status = models.CharField("situação", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("tentativas", default=0)
    last_error = models.TextField("último erro", blank=True)
    created_at = models.DateTimeField("criada em", auto_now_add=True, db_index=True)
    applied_at = models.DateTimeField("aplicada em", null=True, blank=True)

    class Meta:
        verbose_name = "alteração a propagar"
        verbose_name_plural = "alterações a propagar"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="change_status_created")]
        constraints = [
            models.UniqueConstraint(fields=["shared_record", "version"], name="change_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{change_text(self.action, self.version, self.source)} (nº {self.pk})"


# How long a worker holds a job without renewing it: a heartbeat renews it every few
# seconds while the job runs, however long a chunk takes, and a killed worker's job is
# handed to another within seconds of this (see sharing/leases.py).
JOB_LEASE = timedelta(seconds=15)
# A job handed out again is reserved this long for the task that will take it, so that it
# is not enqueued again and again while every worker is busy.
JOB_HANDOUT = timedelta(seconds=30)


class SyncJobQuerySet(models.QuerySet):
    def live(self) -> SyncJobQuerySet:
        """Jobs not finished yet: queued, or running (held by a worker, or waiting for one)."""
        return self.filter(status__in=SyncJob.LIVE_STATUSES)


class SyncJob(models.Model):
    """A long job (activation, adding a member, resync) with progress for the bar and admin.

    Its state changes in three steps, each a method here: `claim` (a worker takes it and
    gets a new fencing token, `attempts`), `renew` (progress, keeping the lease) and then
    `finish` or `fail`. Every write after the claim is a conditional UPDATE … WHERE
    attempts = <the token claimed with>: a worker presumed dead that comes back writes
    nothing (sharing/leases.py).
    """

    class Kind(models.TextChoices):
        ACTIVATE = "activate", "Ativação"
        RESYNC = "resync", "Ressincronização"

    class Status(models.TextChoices):
        QUEUED = "queued", "Na fila"
        RUNNING = "running", "Em andamento"
        DONE = "done", "Concluído"
        FAILED = "failed", "Falhou"

    # Not finished: at most one such job per share and kind (the constraint below).
    LIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    share = models.ForeignKey(Share, related_name="jobs", on_delete=models.CASCADE)
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices)
    status = models.CharField("situação", max_length=10, choices=Status.choices, default=Status.QUEUED)
    # For an activation: the members it brings in (ids of ShareMember rows).
    params = models.JSONField("parâmetros", default=dict)
    total = models.PositiveIntegerField("total", default=0)
    done = models.PositiveIntegerField("feito", default=0)
    counts = models.JSONField("contagens", default=dict)
    errors = models.JSONField("erros", default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField("criado em", auto_now_add=True)
    started_at = models.DateTimeField("iniciado em", null=True, blank=True)
    finished_at = models.DateTimeField("concluído em", null=True, blank=True)
    # A worker holds the job while lease_until is in the future; a killed worker's lease
    # expires and a worker's sweeper hands the job to another.
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField("execuções", default=0)
    # Executions that ended in an error (a worker killed outright records none: it is simply
    # resumed, however often). The job gives up after tasks.MAX_JOB_ATTEMPTS of these.
    failures = models.PositiveIntegerField("falhas", default=0)

    objects = SyncJobQuerySet.as_manager()

    class Meta:
        verbose_name = "tarefa de sincronismo"
        verbose_name_plural = "tarefas de sincronismo"
        ordering = ["-created_at"]
        constraints = [
            # A double click or a second tab never starts a second activation of a share.
            models.UniqueConstraint(
                fields=["share", "kind"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_running_job_per_share_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} nº {self.pk} ({self.get_status_display()})"

    # --- state changes (the worker's side; see sharing/leases.py) -------------------------

    def claim(self, now=None) -> None:
        """Take the job for this execution: running, a fresh lease, a new fencing token.
        The caller holds the row's lock (select_for_update) and has checked that nobody
        else holds a live lease."""
        now = now or timezone.now()
        self.status = self.Status.RUNNING
        self.started_at = self.started_at or now
        self.lease_until = now + JOB_LEASE
        self.attempts += 1
        self.save(update_fields=["status", "started_at", "lease_until", "attempts"])

    def _write_if_held(self, **fields) -> bool:
        """UPDATE the row with `fields` only while it still carries the token this execution
        claimed with (and mirror them on self); False, writing nothing, once another worker
        has claimed the job since."""
        if not SyncJob.objects.filter(pk=self.pk, attempts=self.attempts).update(**fields):
            return False
        for name, value in fields.items():
            setattr(self, name, value)
        return True

    def renew(self, **fields) -> bool:
        """Save progress (`fields`: done, total, counts, errors, params…) and keep holding
        the job for another JOB_LEASE. False: the job is no longer this execution's."""
        return self._write_if_held(lease_until=timezone.now() + JOB_LEASE, **fields)

    def finish(self, *, status: str = Status.DONE, finished_at=None, **fields) -> bool:
        """The end: DONE (or FAILED for a result that is itself a failure), the lease let
        go. False: the job is no longer this execution's, and nothing was written."""
        return self._write_if_held(status=status, finished_at=finished_at or timezone.now(),
                                   lease_until=None, **fields)

    def fail(self, message: str, *, final: bool) -> bool:
        """One execution ended in an error: count it, keep `message` in the errors and let
        the lease go, so that the watchdog hands the job out again; `final` gives up
        (FAILED). A worker that lost the job writes nothing (False)."""
        return self._write_if_held(
            lease_until=None,
            failures=self.failures + 1,
            status=self.Status.FAILED if final else self.Status.RUNNING,
            finished_at=timezone.now() if final else None,
            errors=[*self.errors, message][-100:],
        )

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def summary(self) -> str:
        """The finished job's result in one sentence, for the job page, the admin and the
        audit trail; "" while it runs (or when it gave up before counting)."""
        counts = self.counts or {}
        if self.kind == self.Kind.RESYNC:
            return resync_summary(counts) if "drift" in counts else ""
        if "created" not in counts:
            return ""
        return activation_summary(counts)

    @property
    def silent_seconds(self) -> int | None:
        """How long a running job has shown no sign of life (its worker renews the lease every
        few seconds), or None while it is not running. A worker that stopped leaves it silent
        until the lease runs out and another worker takes it, seconds later; a job silent for
        longer than that is waiting for a worker to be running at all."""
        if self.status != self.Status.RUNNING:
            return None
        if self.lease_until is None:  # an error let the lease go: resumed within a minute
            return 0
        last_sign = self.lease_until - JOB_LEASE
        return max(0, int((timezone.now() - last_sign).total_seconds()))


class Snapshot(models.Model):
    """A record as it was before the engine overwrote it (activation, a local record adopted
    when a shared one arrives, resync: its shared values), or before it was deleted (the
    whole record, catalog.copies, in any company, shared or not); restorable from the admin."""

    class Reason(models.TextChoices):
        OVERWRITTEN = "overwritten", "sobrescrito"
        DELETED = "deleted", "excluído"

    # Empty for a record deleted while it was not shared (kept all the same); a copy
    # outlives its share.
    share = models.ForeignKey(
        Share, related_name="snapshots", on_delete=models.SET_NULL, null=True, blank=True, **_ENGINE_RELATION
    )
    # Indexed: deleting a job sets its snapshots' job to NULL, deleting a company removes them.
    job = models.ForeignKey(
        SyncJob, related_name="snapshots", on_delete=models.SET_NULL, null=True, db_constraint=False
    )
    company = models.ForeignKey(Company, related_name="snapshots", on_delete=models.CASCADE, db_constraint=False)
    registry = models.CharField(max_length=8, choices=REGISTRY_CHOICES)
    local_id = models.BigIntegerField("registro local")
    values = models.JSONField("valores anteriores")
    reason = models.CharField(
        "motivo", max_length=12, choices=Reason.choices, default=Reason.OVERWRITTEN, db_default=Reason.OVERWRITTEN
    )
    # A shared record's deletion: the change that deleted it everywhere. Every company's copy
    # of that deletion names it, so restoring one brings the record back in all of them.
    change = models.ForeignKey(
        "Change", verbose_name="exclusão", related_name="snapshots", on_delete=models.SET_NULL,
        null=True, blank=True, db_constraint=False,
    )
    # Who deleted it and how (a deletion only; an engine write has no actor).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="excluído por", related_name="+", on_delete=models.SET_NULL,
        null=True, blank=True,
    )
    source = models.CharField("origem da exclusão", max_length=20, blank=True, default="", db_default="")
    created_at = models.DateTimeField("guardado em", auto_now_add=True)
    restored_at = models.DateTimeField("restaurado em", null=True, blank=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = "cópia anterior (snapshot)"
        verbose_name_plural = "cópias anteriores (snapshots)"
        ordering = ["-created_at"]
        constraints = [
            # Once per row and job: a resumed activation writes no second copy, and a
            # company that leaves and joins again keeps what each activation overwrote.
            models.UniqueConstraint(
                fields=["share", "job", "company", "registry", "local_id"], name="snapshot_once_per_job_and_row"
            )
        ]

    def __str__(self) -> str:
        label = self.values.get("legal_name") or self.values.get("description") or f"nº {self.local_id}"
        if self.reason == self.Reason.DELETED:
            return f"Cópia de {label}, excluído ({self.company})"
        return f"Cópia anterior de {label} ({self.company})"


class AuditEntry(models.Model):
    """Who did what to which shared record, in which company, and where it went."""

    class Action(models.TextChoices):
        CONFIGURE = "configure", "Configuração"
        ACTIVATE = "activate", "Ativação"
        REMOVE = "remove", "Remoção"
        CHANGE = "change", "Alteração"
        APPLY = "apply", "Aplicação"
        APPLY_FAILED = "apply_failed", "Falha ao aplicar"
        RESYNC = "resync", "Ressincronização"
        RESTORE = "restore", "Restauração"

    share = models.ForeignKey(Share, related_name="audit_entries", on_delete=models.CASCADE)
    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="usuário", related_name="+",
        on_delete=models.SET_NULL, null=True, blank=True,
    )
    action = models.CharField("ação", max_length=14, choices=Action.choices)
    registry = models.CharField("cadastro", max_length=8, choices=REGISTRY_CHOICES, blank=True)
    shared_record = models.ForeignKey(
        SharedRecord, related_name="audit_entries", on_delete=models.SET_NULL, null=True, blank=True
    )
    change = models.ForeignKey(
        Change, related_name="audit_entries", on_delete=models.SET_NULL, null=True, blank=True
    )
    local_id = models.BigIntegerField("registro local", null=True, blank=True)
    fields = models.JSONField("campos", default=list, blank=True)
    old_values = models.JSONField("valores anteriores", default=dict, blank=True)
    new_values = models.JSONField("valores novos", default=dict, blank=True)
    detail = models.TextField("detalhe", blank=True)
    created_at = models.DateTimeField("quando", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "registro de auditoria"
        verbose_name_plural = "trilha de auditoria"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["share", "-created_at"], name="audit_share_created")]

    def __str__(self) -> str:
        return f"{self.action_label} em {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def action_label(self) -> str:
        """What a person calls the entry. The "change" action covers a shared record's
        inclusion, alteration and exclusion alike: its Change says which (read it with
        select_related("change")); an application says which change it applied."""
        if self.action not in (self.Action.CHANGE, self.Action.APPLY):
            return self.get_action_display()
        if self.change_id is None and self.action == self.Action.APPLY:
            return self.get_action_display()
        kind = self.change.action if self.change_id else _change_kind_from_text(self.detail)
        what = dict(Change.Action.choices).get(kind, Change.Action.UPDATE.label)
        return what.capitalize() if self.action == self.Action.CHANGE else f"{what.capitalize()} aplicada"


def _change_kind_from_text(detail: str) -> str:
    """A change entry whose Change row is gone (its record was deleted) still starts with
    change_text(): "Inclusão (versão 1) pela web"."""
    first = detail.split(" ", 1)[0].lower()
    return next((kind for kind, name in Change.Action.choices if name == first), Change.Action.UPDATE)


class ApplyLagBucket(models.Model):
    """One bucket of the apply-lag histogram (sharing/metrics.py): how many changes were
    applied to every other member within `le` seconds of being accepted (and more than the
    bucket below), and the sum of their lags. Kept in the database, not in a worker's
    memory, because the workers run on other machines than the web processes that answer
    /metrics; each apply adds to it with one upsert after its commit."""

    le = models.CharField("até (segundos)", max_length=16, unique=True)
    count = models.BigIntegerField("alterações", default=0)
    seconds = models.FloatField("soma dos atrasos (s)", default=0)

    class Meta:
        verbose_name = "faixa do atraso de aplicação"
        verbose_name_plural = "faixas do atraso de aplicação"

    def __str__(self) -> str:
        return f"≤ {self.le} s: {self.count}"
