"""BigQuery, the one way: the name grammar, the client (local emulator included), the keyed MERGE.

Name grammar (one parser for every option and config key that names a BigQuery place):

    [bigquery:[//]]PROJECT[./]DATASET[[./]TABLE]

so `bigquery://my-proj/ops` (a dataset: run markers, output tables), `bigquery:my-proj.ops.t`
(a table: a drift source) and `my-proj.ops.t` (a table in configuration) all read the same way.
PROJECT follows Google's project-id rule (6-30 characters, optionally domain-scoped
`example.com:proj`), so a dot can never be misread as a separator.

google-cloud-bigquery is imported only when a client or query parameter is made: the core is
imported by the commit-time hook, which installs only the standard library and dockerfile-parse.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from predguard.errors import InputError

if TYPE_CHECKING:
    from google.cloud import bigquery as _bq

EMULATOR_ENV = "BIGQUERY_EMULATOR_HOST"
MERGE_BATCH = 100  # rows per MERGE: keeps the statement and its parameters far below BigQuery's limits

_NAME = re.compile(
    r"(?P<project>(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9])"
    r"(?:[./](?P<dataset>\w{1,1024})(?:[./](?P<table>[\w-]{1,1024}))?)?"
)
_SCHEME = re.compile(r"(?:bigquery|bq):(?://)?")

Level = Literal["project", "dataset", "table"]
_FORMS: dict[Level, str] = {
    "project": "bigquery:PROJECT",
    "dataset": "bigquery://PROJECT/DATASET",
    "table": "bigquery:PROJECT.DATASET.TABLE",
}


@dataclass(frozen=True)
class BigQueryName:
    project: str
    dataset: str | None = None
    table: str | None = None

    @property
    def dataset_id(self) -> str:
        """"project.dataset", as the client library spells it."""
        return f"{self.project}.{self.dataset}"

    @property
    def table_id(self) -> str:
        """"project.dataset.table", as the client library and SQL (in backticks) spell it."""
        return f"{self.project}.{self.dataset}.{self.table}"

    @property
    def level(self) -> Level:
        return "table" if self.table else "dataset" if self.dataset else "project"


def is_bigquery(text: str) -> bool:
    """Whether `text` is meant as a BigQuery name (it carries the scheme)."""
    return _SCHEME.match(text.strip()) is not None


def parse_name(text: str, levels: Sequence[Level], *, what: str, where: str | None = None) -> BigQueryName:
    """Parse `text` in the one grammar; its depth must be one of `levels` (e.g. ("table",)).

    Bad input is an InputError saying which form is expected, at `where`.
    """
    rest = _SCHEME.sub("", text.strip(), count=1)
    match = _NAME.fullmatch(rest)
    if match is not None:
        name = BigQueryName(match["project"], match["dataset"], match["table"])
        if name.level in levels:
            return name
    expected = " or ".join(_FORMS[level] for level in levels)
    raise InputError(f"malformed BigQuery {what} {rest!r}; expected {expected}", where=where)


def client(project: str) -> _bq.Client:
    """A client for `project`. With $BIGQUERY_EMULATOR_HOST set (host:port or a URL) it talks
    to that emulator anonymously; otherwise Application Default Credentials, and their absence
    is an InputError (one line), not google.auth's traceback."""
    from google.cloud import bigquery

    emulator = os.environ.get(EMULATOR_ENV)
    if emulator:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        endpoint = emulator if "://" in emulator else f"http://{emulator}"
        return bigquery.Client(project=project, credentials=AnonymousCredentials(), client_options=ClientOptions(api_endpoint=endpoint))
    try:
        return bigquery.Client(project=project)
    except Exception as exc:  # google.auth's DefaultCredentialsError and friends
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"cannot create a BigQuery client: {first_line}", where=f"bigquery:{project}") from None


Column = tuple[str, str]  # (name, BigQuery standard SQL type: STRING, INT64, FLOAT64, BOOL, DATE, TIMESTAMP, ...)


def keyed_merge(table: str, columns: Sequence[Column], key: Sequence[str], rows: int, *, update: bool) -> str:
    """A MERGE of `rows` parameterised source rows (@p<i>_<column>) into `table`, matched on the
    `key` columns: new keys are inserted; matched ones updated when `update`, else left alone
    (an append-only log that a redelivery must not duplicate)."""
    if rows < 1 or not key or not set(key) <= {name for name, _ in columns}:
        raise ValueError("a keyed MERGE needs at least one row and key columns among its columns")
    names = [name for name, _ in columns]
    selects = " UNION ALL ".join("SELECT " + ", ".join(f"@p{i}_{n} AS {n}" for n in names) for i in range(rows))
    on = " AND ".join(f"T.{k} = S.{k}" for k in key)
    sql = f"MERGE `{table}` AS T USING ({selects}) AS S ON {on} "
    if update and (kept := [n for n in names if n not in key]):
        sql += "WHEN MATCHED THEN UPDATE SET " + ", ".join(f"{n} = S.{n}" for n in kept) + " "
    return sql + f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join('S.' + n for n in names)})"


def merge_rows(
    bq: _bq.Client,
    table: str,
    columns: Sequence[Column],
    key: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    update: bool,
    timeout: float | None = None,
) -> None:
    """Write `rows` into `table` with keyed MERGEs of at most MERGE_BATCH rows each.

    Rows repeating a key within the call keep the last one (MERGE rejects two source rows that
    match one target row).
    """
    from google.cloud import bigquery

    unique = list({tuple(row[k] for k in key): row for row in rows}.values())
    for start in range(0, len(unique), MERGE_BATCH):
        batch = unique[start:start + MERGE_BATCH]
        params = [
            bigquery.ScalarQueryParameter(f"p{i}_{name}", kind, row[name])
            for i, row in enumerate(batch)
            for name, kind in columns
        ]
        sql = keyed_merge(table, columns, key, len(batch), update=update)
        bq.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params)).result(timeout=timeout)
