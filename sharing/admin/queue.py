"""django-q2's own admin pages (finished, failed, scheduled and queued tasks) in words a
support person reads: "Tarefas com falha" and "Aplicar uma alteração nas outras empresas"
instead of "Failed tasks" and "sharing.tasks.apply_change".

django-q2 ships English names (and no pt-BR catalogue). The models' names are set on
their `_meta` here, which the admin reads and migrations do not (they read
`_meta.original_attrs`); field labels are given by display methods, never by changing the
fields, which would make `makemigrations` write a migration into django-q2. Imported by
sharing/admin/__init__.py, after django_q's own admin registered its classes.
"""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.timezone import localtime
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success, Task

from omieshare.lib.durations import format_duration

MODEL_NAMES = {
    Task: ("tarefa", "tarefas"),
    Success: ("tarefa concluída", "tarefas concluídas"),
    Failure: ("tarefa com falha", "tarefas com falha"),
    Schedule: ("tarefa agendada", "tarefas agendadas"),
    OrmQ: ("tarefa na fila", "tarefas na fila"),
}
for _model, (_one, _many) in MODEL_NAMES.items():
    _model._meta.verbose_name, _model._meta.verbose_name_plural = _one, _many

# What each background function does, as support knows it (sharing/tasks.py).
TASK_PURPOSES = {
    "sharing.tasks.apply_change": "Aplicar uma alteração nas outras empresas",
    "sharing.tasks.apply_pending": "Aplicar em lote as alterações pendentes de um compartilhamento",
    "sharing.tasks.run_sync_job": "Tarefa de sincronismo (ativação ou ressincronização)",
    "sharing.tasks.catch_up": "Pôr em dia uma empresa com alterações atrasadas",
    "sharing.tasks.retry_record": "Tentar de novo um cadastro que falhou",
    "sharing.tasks.watchdog": "Verificação a cada minuto (reenvia o que ficou para trás)",
}

SCHEDULE_TYPES = {
    Schedule.ONCE: "uma vez", Schedule.MINUTES: "a cada {minutes} minutos", Schedule.HOURLY: "a cada hora",
    Schedule.DAILY: "todo dia", Schedule.WEEKLY: "toda semana", Schedule.BIWEEKLY: "a cada duas semanas",
    Schedule.MONTHLY: "todo mês", Schedule.BIMONTHLY: "a cada dois meses", Schedule.QUARTERLY: "a cada trimestre",
    Schedule.YEARLY: "todo ano", Schedule.CRON: "conforme a expressão cron {cron}",
}


def purpose(func: object) -> str:
    text = str(func or "")
    return TASK_PURPOSES.get(text, text or "—")


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _when(value) -> str:
    return localize(localtime(value)) if value else "—"


def _field(name: str, label: str, ordering: str | None = None):
    """A model field under a pt-BR label (its own verbose_name is django-q2's English)."""

    @admin.display(description=label, ordering=ordering or name)
    def show(self, obj):
        value = getattr(obj, name)
        if callable(value):
            value = value()
        if value is None or value == "":
            return "—"
        return value

    return show


@admin.action(description="Colocar as tarefas selecionadas de novo na fila")
def resubmit(modeladmin, request, queryset):
    q_admin.resubmit_task(modeladmin, request, queryset)
    modeladmin.message_user(request, "Tarefas colocadas de novo na fila.")


class _FinishedTaskAdmin(admin.ModelAdmin):
    """Finished tasks, read-only: what they did, when, how long, with which result."""

    list_display = ["what", "started_at", "stopped_at", "duration", "attempts"]
    list_display_links = ["what"]
    search_fields = ["name", "func", "group"]
    actions = [resubmit]
    fields = ["what", "function", "arguments", "started_at", "stopped_at", "duration", "attempts", "result_text",
              "task_id", "task_name", "group_name", "cluster_name"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="o que faz", ordering="func")
    def what(self, task: Task) -> str:
        return purpose(task.func)

    @admin.display(description="início", ordering="started")
    def started_at(self, task: Task) -> str:
        return _when(task.started)

    @admin.display(description="fim", ordering="stopped")
    def stopped_at(self, task: Task) -> str:
        return _when(task.stopped)

    @admin.display(description="duração")
    def duration(self, task: Task) -> str:
        if not (task.started and task.stopped):
            return "—"
        return format_duration(task.time_taken(), decimals=2)

    @admin.display(description="argumentos")
    def arguments(self, task: Task) -> str:
        parts = [repr(value) for value in task.args or ()]
        parts += [f"{key}={value!r}" for key, value in (task.kwargs or {}).items()]
        return ", ".join(parts) or "—"

    @admin.display(description="resultado")
    def result_text(self, task: Task):
        if task.result is None:
            return "—"
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', str(task.result))

    function = _field("func", "função (para a equipe técnica)")
    attempts = _field("attempt_count", "tentativas")
    task_id = _field("id", "identificador")
    task_name = _field("name", "nome gerado")
    group_name = _field("group", "grupo")
    cluster_name = _field("cluster", "conjunto de workers")


class SuccessAdmin(_FinishedTaskAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(success=True)


class FailureAdmin(_FinishedTaskAdmin):
    list_display = ["what", "started_at", "stopped_at", "error", "attempts"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(success=False)

    @admin.display(description="erro")
    def error(self, task: Task) -> str:
        return truncatechars(str(task.result or ""), 100) or "—"


class ScheduleAdmin(q_admin.ScheduleAdmin):
    """The schedules (omieshare's watchdog): read in words, edited with pt-BR labels."""

    list_display = ["id", "schedule_name", "what", "frequency", "repetitions", "next_run_at", "last_run",
                    "succeeded"]
    list_display_links = ["id", "schedule_name"]
    list_filter = []

    @admin.display(description="nome", ordering="name")
    def schedule_name(self, schedule: Schedule) -> str:
        return schedule.name or "—"

    @admin.display(description="o que faz", ordering="func")
    def what(self, schedule: Schedule) -> str:
        return purpose(schedule.func)

    @admin.display(description="frequência", ordering="schedule_type")
    def frequency(self, schedule: Schedule) -> str:
        if schedule.schedule_type == Schedule.MINUTES and (schedule.minutes or 1) == 1:
            return "a cada minuto"
        text = SCHEDULE_TYPES.get(schedule.schedule_type, schedule.schedule_type)
        return text.format(minutes=schedule.minutes, cron=schedule.cron or "")

    @admin.display(description="repetições", ordering="repeats")
    def repetitions(self, schedule: Schedule) -> str:
        return "sempre" if schedule.repeats < 0 else localize(schedule.repeats)

    @admin.display(description="próxima execução", ordering="next_run")
    def next_run_at(self, schedule: Schedule) -> str:
        return _when(schedule.next_run)

    @admin.display(description="última execução")
    def last_run(self, schedule: Schedule):
        if schedule.task_name is None:
            return "—"
        view = "admin:django_q_success_change" if schedule.task_success else "admin:django_q_failure_change"
        return format_html('<a href="{}">ver</a>', reverse(view, args=[schedule.task_id]))

    @admin.display(description="deu certo", boolean=True)
    def succeeded(self, schedule: Schedule):
        return schedule.task_success

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["labels"] = {
            "name": "Nome", "func": "Função", "hook": "Função ao concluir", "args": "Argumentos",
            "kwargs": "Argumentos nomeados", "schedule_type": "Frequência", "minutes": "Minutos",
            "repeats": "Repetições (-1 = sempre)", "next_run": "Próxima execução", "cron": "Expressão cron",
            "task": "Última tarefa", "cluster": "Conjunto de workers",
            "intended_date_kwarg": "Argumento com a data prevista",
        }
        kwargs["help_texts"] = {
            "name": "", "func": "Caminho da função, ex.: sharing.tasks.watchdog", "hook": "", "args": "",
            "kwargs": "", "schedule_type": "", "minutes": "Para a frequência \"a cada N minutos\".",
            "repeats": "", "next_run": "", "cron": "", "task": "", "cluster": "", "intended_date_kwarg": "",
        }
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "schedule_type":
            kwargs["choices"] = [
                (value, _capitalized(SCHEDULE_TYPES[value].format(minutes="N", cron="").strip()))
                for value, _label in db_field.choices
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)




class QueueAdmin(q_admin.QueueAdmin):
    """Tasks waiting for a worker (the ORM broker's table)."""

    list_display = ["id", "what", "arguments", "reserved_until"]
    list_display_links = ["id", "what"]
    list_filter = []
    fields = ["what", "function", "arguments", "reserved_until", "queue_id", "queue_name"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="o que faz")
    def what(self, queued: OrmQ) -> str:
        return purpose(queued.func())

    @admin.display(description="argumentos")
    def arguments(self, queued: OrmQ) -> str:
        return ", ".join(repr(value) for value in queued.args() or ()) or "—"

    @admin.display(description="reservada a um worker até", ordering="lock")
    def reserved_until(self, queued: OrmQ) -> str:
        return _when(queued.lock)

    function = _field("func", "função (para a equipe técnica)")
    queue_id = _field("task_id", "identificador")
    queue_name = _field("name", "nome gerado")


# In place of django-q2's own classes (the queue's only where it registered one: the ORM broker).
for _model, _admin_class in ((Success, SuccessAdmin), (Failure, FailureAdmin), (Schedule, ScheduleAdmin),
                             (OrmQ, QueueAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, _admin_class)
