# A party's roles (is_client, is_supplier) became shared fields (issue 10). Shared records
# kept before carry no roles: without these, drift detection would report every shared
# party, and the next change of one would give it roles nobody chose. They take the
# roles the origin's row has, as activation gives a new copy (the origin's records win);
# a member whose row differs then shows as drift, which resync repairs.

from django.db import migrations

_BACKFILL = """
UPDATE sharing_sharedrecord sr
SET values = sr.values || jsonb_build_object('is_client', p.is_client, 'is_supplier', p.is_supplier)
FROM (
    SELECT DISTINCT ON (l.shared_record_id) l.shared_record_id, l.local_id
    FROM sharing_recordlink l
    JOIN sharing_sharedrecord s ON s.id = l.shared_record_id
    JOIN sharing_share sh ON sh.id = s.share_id
    WHERE l.registry = 'party' AND s.registry = 'party'
    -- the origin's row; for a record the origin lacks, the one holding the latest version
    ORDER BY l.shared_record_id, (l.company_id = sh.origin_id) DESC, l.applied_version DESC, l.id
) chosen
JOIN catalog_party p ON p.id = chosen.local_id
WHERE sr.id = chosen.shared_record_id AND sr.registry = 'party' AND NOT sr.values ? 'is_client'
"""


def backfill_roles(apps, schema_editor):
    # Shares only ever activate on PostgreSQL (sharing.canonical.require_postgresql): a
    # SQLite database has no shared records to fill.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_BACKFILL)


class Migration(migrations.Migration):

    dependencies = [
        ("sharing", "0007_job_failures_apart_from_executions"),
        ("catalog", "0007_company_verbose_names"),
    ]

    operations = [migrations.RunPython(backfill_roles, migrations.RunPython.noop)]
