"""`manage.py deploy_check [--role web|worker]`: the startup check of each unit
(ExecStartPre in deploy/*.service). Prints this machine's broker, queue and SECRET_KEY
fingerprint and fails (exit code 1) when the live workers, or the web servers seen
recently, use another broker, queue or SECRET_KEY: a web server without Q_REDIS_URL
enqueues where Redis workers never read, and a worker with another SECRET_KEY refuses every
task, both silently (the watchdog then applies each change a minute late)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from omieshare.supervision import checks, identity
from omieshare.supervision.heartbeat import beat
from omieshare.supervision.models import Heartbeat


class Command(BaseCommand):
    help = ("Confere se este servidor usa o mesmo broker, a mesma fila e a mesma SECRET_KEY que os workers "
            "ativos e os servidores web; termina com erro se não.")

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=["web", "worker"], default="web",
                            help="o papel desta máquina (web: padrão)")

    def handle(self, *args, role: str, **options):
        me = identity.current()
        self.stdout.write(f"broker: {identity.describe_broker(me.broker)}; fila: {me.queue}; "
                          f"impressão digital da SECRET_KEY: {me.key_fingerprint}")
        now = timezone.now()
        problems = checks.web_side_problems(now) if role == "web" else checks.worker_side_problems(now)
        workers = checks.live_workers(now)
        if role == "web" and not problems:
            # Only a server that may start is recorded: a refused one must not become its
            # machine's newest row, which the workers compare themselves with.
            beat(Heartbeat.Role.WEB)
        if problems:
            raise CommandError("Configuração divergente:\n  - " + "\n  - ".join(problems) +
                               "\nWeb e workers devem ler o mesmo arquivo de ambiente (Q_REDIS_URL, Q_CLUSTER_NAME, "
                               "SECRET_KEY): veja deploy/README.md.")
        if not workers:
            self.stdout.write("aviso: nenhum worker ativo agora; nada a comparar com eles.")
        else:
            self.stdout.write(f"ok: {len(workers)} worker(s) ativo(s), todos com a mesma configuração.")
