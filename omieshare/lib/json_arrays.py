"""Conditions on a JSON array column, case ignored, for PostgreSQL and SQLite alike.

Django's `contains` lookup on a JSONField compares case and is missing on SQLite (the
first-run default). These expressions are used as filters: `queryset.filter(ArrayHasText(
"tags", Value("VIP")))`. Each is an EXISTS over the array's elements of that one row: no
index serves them, so they narrow a queryset the company already limits. On PostgreSQL an
empty array is skipped before the EXISTS is planned for it: most clients carry no free tag,
and at 100,000 of them that check took a tag filter from ~70 ms to ~11 ms a scan.

SQLite's lower() folds ASCII letters only: there "ÓTIMO" and "ótimo" differ.
"""

from __future__ import annotations

from django.db.models import BooleanField, Func


class _ArrayCondition(Func):
    output_field = BooleanField()
    # str.format templates over the compiled arguments, in order.
    postgresql_template = ""
    sqlite_template = ""

    def _render(self, compiler, template: str):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        # The column ({0}) may appear twice in a template: it is a column, with no parameter.
        assert not compiler.compile(self.get_source_expressions()[0])[1], "the first argument must be a column"
        return f"({template.format(*sqls)})", params

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._render(compiler, self.postgresql_template)

    def as_sql(self, compiler, connection, **extra_context):
        return self._render(compiler, self.sqlite_template)


class ArrayHasText(_ArrayCondition):
    """The array of texts (Party.tags) holds `text`, case ignored."""

    arity = 2
    postgresql_template = (
        "jsonb_array_length({0}) > 0 AND "
        "EXISTS (SELECT 1 FROM jsonb_array_elements_text({0}) AS element WHERE lower(element) = lower({1}))"
    )
    sqlite_template = "EXISTS (SELECT 1 FROM json_each({0}) AS element WHERE lower(element.value) = lower({1}))"


class PairsHaveName(_ArrayCondition):
    """The array of [name, value] pairs (características) has a pair named `name`."""

    arity = 2
    postgresql_template = (
        "jsonb_array_length({0}) > 0 AND "
        "EXISTS (SELECT 1 FROM jsonb_array_elements({0}) AS pair WHERE lower(pair->>0) = lower({1}))"
    )
    sqlite_template = (
        "EXISTS (SELECT 1 FROM json_each({0}) AS pair "
        "WHERE lower(json_extract(pair.value, '$[0]')) = lower({1}))"
    )


class PairsHavePair(_ArrayCondition):
    """The array of [name, value] pairs has the pair [`name`, `value`], case ignored in both."""

    arity = 3
    postgresql_template = (
        "jsonb_array_length({0}) > 0 AND EXISTS (SELECT 1 FROM jsonb_array_elements({0}) AS pair "
        "WHERE lower(pair->>0) = lower({1}) AND lower(pair->>1) = lower({2}))"
    )
    sqlite_template = (
        "EXISTS (SELECT 1 FROM json_each({0}) AS pair "
        "WHERE lower(json_extract(pair.value, '$[0]')) = lower({1}) "
        "AND lower(json_extract(pair.value, '$[1]')) = lower({2}))"
    )
