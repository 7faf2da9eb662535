#!/usr/bin/env python3
"""Writes the Parquet files consort-data's tests read (crates/consort-data/tests/data/), with
pyarrow, as users' files are written (pip install pyarrow). Run from the repository root:

    python3 scripts/parquet_fixtures.py

- iris_snappy.parquet: the embedded iris.csv, as pyarrow writes it by default (snappy); the
  test reads it and the CSV and compares every value.
- mixed_<codec>.parquet (snappy, gzip, zstd, lz4): integers, floats with a null, text with a
  null, booleans, dates, a pandas index column and a text label.
- nested.parquet: a list column, which the reader refuses by name.
- iris_ids_zstd.parquet and iris_ids.csv: iris with an id column first and named species, in
  zstd (Polars' default codec) and as CSV; the CLI's test runs both and compares the tables.
"""
import datetime
import pathlib

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

out = pathlib.Path("crates/consort-data/tests/data")
out.mkdir(parents=True, exist_ok=True)

iris = pacsv.read_csv("crates/consort-data/data/iris.csv")
pq.write_table(iris, out / "iris_snappy.parquet", compression="snappy")

mixed = pa.table(
    {
        "__index_level_0__": pa.array([10, 11, 12, 13], pa.int64()),
        "count": pa.array([1, 2, 3, 4], pa.int32()),
        "weight": pa.array([0.5, None, 2.25, 1e-3], pa.float64()),
        "ratio": pa.array([0.1, 0.2, 0.3, 0.4], pa.float32()),
        "colour": pa.array(["red", None, "blue", "red"], pa.string()),
        "member": pa.array([True, False, True, False], pa.bool_()),
        "day": pa.array([datetime.date(2026, 12, d) for d in (1, 2, 3, 4)], pa.date32()),
        "label": pa.array(["yes", "no", "yes", "no"], pa.string()),
    }
)
for codec in ("snappy", "gzip", "zstd", "lz4"):
    pq.write_table(mixed, out / f"mixed_{codec}.parquet", compression=codec)

nested = pa.table(
    {
        "x": pa.array([1.0, 2.0]),
        "tags": pa.array([["a"], ["b", "c"]], pa.list_(pa.string())),
        "label": pa.array(["a", "b"]),
    }
)
pq.write_table(nested, out / "nested.parquet")
species = pa.array(["setosa", "versicolor", "virginica"]).take(iris.column("label"))
with_ids = pa.table(
    {"id": pa.array([f"flower-{i:03}" for i in range(1, iris.num_rows + 1)])}
    | {name: iris.column(name) for name in iris.column_names[:4]}
    | {"species": species}
)
pq.write_table(with_ids, out / "iris_ids_zstd.parquet", compression="zstd")
pacsv.write_csv(with_ids, out / "iris_ids.csv", pacsv.WriteOptions(quoting_style="none"))
print(f"wrote {len(list(out.glob('*.parquet')))} Parquet files into {out}")
