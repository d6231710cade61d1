"""Pages of "Cadastros Compartilhados": the wizard, the progress of a job, the share and
its audit trail. Views parse, authorise, call one service of sharing/services.py, render."""
