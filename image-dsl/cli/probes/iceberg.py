"""pyiceberg on a local SQL (sqlite) catalog: create a table, append two pyarrow batches, read it
back. Prints `PROBE-OK <facts>` (parsed by image-dsl/cli/src/probe/iceberg.rs)."""

import tempfile

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

warehouse = tempfile.mkdtemp(prefix="iceberg-probe-")
catalog = SqlCatalog(
    "probe", uri=f"sqlite:///{warehouse}/catalog.db", warehouse=f"file://{warehouse}"
)
catalog.create_namespace("probe")
first = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": pa.array(["a", "b", "c"])})
table = catalog.create_table("probe.people", schema=first.schema)
table.append(first)
table.append(pa.table({"id": pa.array([4, 5], pa.int64()), "name": pa.array(["d", "e"])}))

read = catalog.load_table("probe.people").scan().to_arrow()
ids = sorted(read.column("id").to_pylist())
assert ids == [1, 2, 3, 4, 5], f"read back {ids}"
snapshots = len(catalog.load_table("probe.people").snapshots())
assert snapshots == 2, f"{snapshots} snapshots after two appends"
filtered = catalog.load_table("probe.people").scan(row_filter="id >= 4").to_arrow()
assert sorted(filtered.column("name").to_pylist()) == ["d", "e"], "row filter lost rows"
print(f"PROBE-OK iceberg rows={read.num_rows} snapshots={snapshots}", flush=True)
