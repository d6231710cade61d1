"""Trigram indexes so that search-as-you-type stays fast at 100,000 records per company.

The list pages search with `icontains`, which PostgreSQL runs as
`UPPER(col::text) LIKE UPPER('%term%')`; a GIN trigram index on that same expression
serves it. SQLite (first-run default) has no pg_trgm and gets nothing.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCHED_COLUMNS = [
    ("catalog_party", "legal_name"),
    ("catalog_party", "trade_name"),
    ("catalog_party", "cnpj_cpf"),
    ("catalog_party", "code"),
    ("catalog_product", "description"),
    ("catalog_product", "code"),
    ("catalog_product", "ean"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED_COLUMNS:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
