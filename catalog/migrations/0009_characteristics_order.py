"""Characteristics kept in the order they were entered (catalog.models.CharacteristicsField).

A jsonb object sorts its keys, so characteristics were stored as objects and came back
reordered. They are now stored as arrays of [name, value] pairs; existing objects become
arrays here. Their entry order is already lost (PostgreSQL kept none): they take the
order PostgreSQL had them in, the order every page showed until now. The shared records'
and snapshots' copies are converted the same way (sharing/migrations/0009_characteristics_order),
so sharing does not see a difference where there is none.
"""

from django.db import migrations

import catalog.models

# The pairs of a jsonb object, in its stored order (the same for equal objects).
PAIRS_SQL = (
    "(SELECT COALESCE(jsonb_agg(jsonb_build_array(e.key, e.value) ORDER BY e.n), '[]'::jsonb) "
    "FROM jsonb_each({value}) WITH ORDINALITY AS e(key, value, n))"
)


def to_pairs(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: the field reads objects and arrays alike
    for table in ("catalog_party", "catalog_product"):
        schema_editor.execute(
            f"UPDATE {table} SET characteristics = {PAIRS_SQL.format(value='characteristics')} "
            "WHERE jsonb_typeof(characteristics) = 'object'"
        )


def to_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("catalog_party", "catalog_product"):
        schema_editor.execute(
            f"UPDATE {table} SET characteristics = (SELECT COALESCE(jsonb_object_agg(p->>0, p->1), "
            "'{}'::jsonb) FROM jsonb_array_elements(characteristics) p) "
            "WHERE jsonb_typeof(characteristics) = 'array'"
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_search_words")]

    operations = [
        migrations.AlterField(
            model_name="party",
            name="characteristics",
            field=catalog.models.CharacteristicsField(
                blank=True, default=dict, help_text="Pares nome → valor, na ordem informada.",
                verbose_name="características",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="characteristics",
            field=catalog.models.CharacteristicsField(
                blank=True, default=dict, help_text="Pares nome → valor, na ordem informada.",
                verbose_name="características",
            ),
        ),
        migrations.RunPython(to_pairs, to_objects),
    ]
