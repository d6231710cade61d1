"""One trigram index per table for the word search, instead of one per searched column.

The search boxes look for every typed word in any of several fields (catalog/selectors.py,
PARTY_SEARCH_FIELDS / PRODUCT_SEARCH_FIELDS): one GIN index over those fields joined
answers all the words of a search in one index scan, where per-column indexes needed one
scan per word and column, and could not serve fields without an index (e-mail, city, NCM).
It replaces the per-column indexes of 0002, so bulk writes (activation) maintain one
trigram index per row instead of four (clients) or three (products).

The expression must stay exactly the one omieshare.lib.search.SearchText and
MatchesPattern produce, or PostgreSQL stops using the index. SQLite gets nothing.
"""

from django.db import migrations

# Frozen here (a migration must not follow later code): the columns, in order, of each
# table's searched text when this migration was written.
SEARCHED = {
    "catalog_party": ("legal_name", "trade_name", "cnpj_cpf", "code", "email", "city"),
    "catalog_product": ("description", "code", "ean", "ncm"),
}
# The per-column indexes of 0002, dropped here and recreated when going back.
OLD_INDEXED = [
    ("catalog_party", "legal_name"),
    ("catalog_party", "trade_name"),
    ("catalog_party", "cnpj_cpf"),
    ("catalog_party", "code"),
    ("catalog_product", "description"),
    ("catalog_product", "code"),
    ("catalog_product", "ean"),
]


def _expression(columns) -> str:
    # As stored (no UPPER): the search matches with `~*`, and pg_trgm folds case itself.
    joined = " || ' ' || ".join(f'"{column}"' for column in columns)
    return f"({joined})"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in OLD_INDEXED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')
    for table, columns in SEARCHED.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_search_words" ON "{table}" '
            f"USING gin ({_expression(columns)} gin_trgm_ops)"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SEARCHED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_search_words"')
    for table, column in OLD_INDEXED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
            f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_company_verbose_names")]

    operations = [migrations.RunPython(forward, backward)]
