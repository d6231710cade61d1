"""The shared records' and snapshots' characteristics as arrays of [name, value] pairs, as
catalog/migrations/0009_characteristics_order stores the records' own (the same order:
the one PostgreSQL had the object's keys in). Audit entries keep what they said; their
pages show either form."""

from django.db import migrations

PAIRS_SQL = (
    "(SELECT COALESCE(jsonb_agg(jsonb_build_array(e.key, e.value) ORDER BY e.n), '[]'::jsonb) "
    "FROM jsonb_each(values->'characteristics') WITH ORDINALITY AS e(key, value, n))"
)


def to_pairs(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("sharing_sharedrecord", "sharing_snapshot"):
        schema_editor.execute(
            f"UPDATE {table} SET values = jsonb_set(values, '{{characteristics}}', {PAIRS_SQL}) "
            "WHERE jsonb_typeof(values->'characteristics') = 'object'"
        )


def to_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("sharing_sharedrecord", "sharing_snapshot"):
        schema_editor.execute(
            f"UPDATE {table} SET values = jsonb_set(values, '{{characteristics}}', "
            "(SELECT COALESCE(jsonb_object_agg(p->>0, p->1), '{}'::jsonb) "
            " FROM jsonb_array_elements(values->'characteristics') p)) "
            "WHERE jsonb_typeof(values->'characteristics') = 'array'"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0008_shared_party_roles"),
        ("catalog", "0009_characteristics_order"),
    ]

    operations = [migrations.RunPython(to_pairs, to_objects)]
