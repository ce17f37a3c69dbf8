"""The one BigQuery grammar, client factory and keyed MERGE."""
from __future__ import annotations

import pytest

from predguard import bigquery as bq
from predguard.bigquery import BigQueryName, keyed_merge, merge_rows, parse_name
from predguard.errors import InputError


@pytest.mark.parametrize(
    ("text", "levels", "expected"),
    [
        ("bigquery://my-proj/ops", ("dataset",), BigQueryName("my-proj", "ops")),
        ("bq://my-proj/ops", ("dataset",), BigQueryName("my-proj", "ops")),
        ("bigquery://my-proj.ops", ("dataset",), BigQueryName("my-proj", "ops")),
        ("bigquery:my-proj.ops.graded", ("table",), BigQueryName("my-proj", "ops", "graded")),
        ("my-proj.ops.drift_runs", ("table",), BigQueryName("my-proj", "ops", "drift_runs")),
        ("bigquery://my-proj/ops/t-1", ("table",), BigQueryName("my-proj", "ops", "t-1")),
        ("bigquery:example.com:my-proj.ops.t", ("table",), BigQueryName("example.com:my-proj", "ops", "t")),
        ("bigquery://example.com:my-proj/ops", ("dataset",), BigQueryName("example.com:my-proj", "ops")),
        ("bigquery:my-proj", ("project", "table"), BigQueryName("my-proj")),
    ],
)
def test_every_accepted_spelling_parses_the_same_way(text: str, levels: tuple[bq.Level, ...], expected: BigQueryName) -> None:
    assert parse_name(text, levels, what="x") == expected


def test_ids_as_the_client_spells_them() -> None:
    name = parse_name("bigquery://example.com:my-proj/ops/t", ("table",), what="x")
    assert (name.dataset_id, name.table_id) == ("example.com:my-proj.ops", "example.com:my-proj.ops.t")


@pytest.mark.parametrize(
    ("text", "levels", "message"),
    [
        ("bigquery://only-a-project", ("dataset",), "malformed BigQuery store 'only-a-project'; expected bigquery://PROJECT/DATASET"),
        ("bigquery://my-proj/ops/t", ("dataset",), "expected bigquery://PROJECT/DATASET"),
        ("bigquery:my-proj.ops", ("table",), "expected bigquery:PROJECT.DATASET.TABLE"),
        ("bigquery:proj.ops.t", ("table",), "malformed BigQuery store 'proj.ops.t'"),  # project ids have 6-30 characters
        ("bigquery:My-Proj.ops.t", ("table",), "malformed"),
        ("bigquery:my-proj.o ps.t", ("table",), "malformed"),
        ("bigquery:", ("project", "table"), "expected bigquery:PROJECT or bigquery:PROJECT.DATASET.TABLE"),
    ],
)
def test_anything_else_is_one_line_saying_the_expected_form(text: str, levels: tuple[bq.Level, ...], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")) as caught:
        parse_name(text, levels, what="store", where="--store")
    assert caught.value.where == "--store"


def test_is_bigquery_looks_only_at_the_scheme() -> None:
    assert bq.is_bigquery("bigquery://p/d") and bq.is_bigquery("bq:p.d.t") and bq.is_bigquery(" bigquery:x")
    assert not bq.is_bigquery("sqlite:///x") and not bq.is_bigquery("my-proj.ops.t") and not bq.is_bigquery("bigqueryx:p")


def test_keyed_merge_inserts_new_keys_and_updates_or_keeps_matched_ones() -> None:
    columns = [("k1", "DATE"), ("k2", "STRING"), ("v", "INT64")]
    update = keyed_merge("p.d.t", columns, ("k1", "k2"), 2, update=True)
    assert update == (
        "MERGE `p.d.t` AS T USING (SELECT @p0_k1 AS k1, @p0_k2 AS k2, @p0_v AS v UNION ALL "
        "SELECT @p1_k1 AS k1, @p1_k2 AS k2, @p1_v AS v) AS S ON T.k1 = S.k1 AND T.k2 = S.k2 "
        "WHEN MATCHED THEN UPDATE SET v = S.v "
        "WHEN NOT MATCHED THEN INSERT (k1, k2, v) VALUES (S.k1, S.k2, S.v)"
    )
    assert "WHEN MATCHED" not in keyed_merge("p.d.t", columns, ("k1",), 1, update=False)
    with pytest.raises(ValueError):
        keyed_merge("p.d.t", columns, ("nope",), 1, update=True)


@pytest.mark.bigquery
def test_merge_rows_against_the_emulator(bq_client, bq_dataset: str) -> None:
    from google.cloud import bigquery

    table = f"{bq_dataset}.t"
    bq_client.create_table(bigquery.Table(table, schema=[bigquery.SchemaField("k", "STRING"), bigquery.SchemaField("v", "INTEGER")]))
    columns = [("k", "STRING"), ("v", "INT64")]
    rows = [{"k": f"k{i}", "v": i} for i in range(bq.MERGE_BATCH + 5)] + [{"k": "k0", "v": -1}]  # two batches; k0 repeated
    merge_rows(bq_client, table, columns, ("k",), rows, update=False)
    merge_rows(bq_client, table, columns, ("k",), [{"k": "k1", "v": 100}], update=False)  # insert-only: kept as is
    merge_rows(bq_client, table, columns, ("k",), [{"k": "k2", "v": 200}], update=True)
    got = {r["k"]: r["v"] for r in bq_client.query(f"SELECT k, v FROM `{table}`").result()}
    assert len(got) == bq.MERGE_BATCH + 5
    assert (got["k0"], got["k1"], got["k2"]) == (-1, 1, 200)


@pytest.mark.bigquery
def test_the_client_talks_to_the_emulator_named_in_the_environment(bigquery_emulator_server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bq.EMULATOR_ENV, bigquery_emulator_server.url.removeprefix("http://"))
    client = bq.client(bigquery_emulator_server.project)
    client.create_dataset(f"{bigquery_emulator_server.project}.via_env")
    assert "via_env" in [d.dataset_id for d in client.list_datasets()]


def test_no_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv(bq.EMULATOR_ENV, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(InputError) as caught:
        bq.client("my-proj")
    assert caught.value.where == "bigquery:my-proj" and "\n" not in str(caught.value)
