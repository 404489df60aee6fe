"""PySpark jobs the image probes run (cargo xtask images test), one per subcommand.

Every job checks its own result and prints `PROBE-OK <facts>` on success; anything else (an
assertion, an exception, a non-zero exit) is a failed probe. Generated output is parsed by
xtask/src/probe/, so keep the `PROBE-` lines stable.
"""

import json
import os
import socket
import sys
import time
import urllib.request


def session(master=None):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("image-dsl-probe")
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()


def sum_and_arrow(spark):
    """Sum of a range on the JVM, then a pandas/Arrow round trip and a pandas UDF in Python workers."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    total = spark.range(1, 1_000_001).selectExpr("sum(id) AS s").first()["s"]
    assert total == 500_000_500_000, f"sum of 1..1000000 is {total}"
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    frame = pd.DataFrame({"x": range(100), "name": [f"n{i}" for i in range(100)]})

    @pandas_udf("long")
    def doubled(x: pd.Series) -> pd.Series:
        return x * 2

    back = spark.createDataFrame(frame).select(doubled("x").alias("x2"), "name").toPandas()
    assert int(back["x2"].sum()) == 9900, f"arrow round trip gave {back['x2'].sum()}"
    assert len(back) == 100 and back["name"].iloc[7] == "n7", "arrow round trip lost rows"
    return total


def executor_hosts(spark, partitions):
    """Host names of the executors that ran `partitions` tasks."""
    rdd = spark.sparkContext.parallelize(range(partitions), partitions)
    return sorted(set(rdd.map(lambda _: (time.sleep(0.5), socket.gethostname())[1]).collect()))


def executor_java_opts(spark):
    """The JVM options Spark's Kubernetes scheduler hands an executor pod as SPARK_JAVA_OPT_<n>
    (BasicExecutorFeatureStep): spark.executor.extraJavaOptions (which SparkContext supplements
    with the module options Java 17 needs), then -D for the startup settings (spark.auth*,
    spark.rpc*, spark.network*, spark.*.port, except the secret)."""
    conf = spark.sparkContext.getConf()
    opts = conf.get("spark.executor.extraJavaOptions", "").split()
    for key, value in sorted(conf.getAll()):
        startup = (
            (key.startswith("spark.auth") and key != "spark.authenticate.secret")
            or key.startswith("spark.rpc")
            or key.startswith("spark.network")
            or (key.startswith("spark.") and key.endswith(".port"))
        )
        if startup:
            opts.append(f"-D{key}={value}")
    return opts


def local():
    spark = session("local[2]")
    total = sum_and_arrow(spark)
    print(f"PROBE-OK local sum={total} user={os.getuid()}:{os.getgid()}", flush=True)
    spark.stop()


def cluster(master, expected_hosts):
    """A job on a cluster: the sum, Arrow, and tasks on every expected executor host."""
    spark = session(master)
    print(f"PROBE-APP-ID {spark.sparkContext.applicationId}", flush=True)
    print(f"PROBE-EXECUTOR-JAVA-OPTS {json.dumps(executor_java_opts(spark))}", flush=True)
    total = sum_and_arrow(spark)
    expected = sorted(h for h in expected_hosts.split(",") if h)
    hosts = executor_hosts(spark, 8 * len(expected))
    assert hosts == expected, f"tasks ran on {hosts}, expected {expected}"
    print(f"PROBE-OK cluster sum={total} hosts={','.join(hosts)}", flush=True)
    spark.stop()


def webui(master_json, workers, *pages):
    """The standalone web UIs answer: the master's JSON lists `workers` ALIVE workers (waiting
    for them to register), and every other page is Spark's HTML."""
    deadline = time.time() + 90
    alive = []
    while True:
        try:
            status = json.loads(urllib.request.urlopen(master_json, timeout=5).read().decode())
            alive = [w["host"] for w in status["workers"] if w["state"] == "ALIVE"]
            if len(alive) >= int(workers):
                break
        except OSError as err:
            alive = [f"unreachable: {err}"]
        if time.time() > deadline:
            raise AssertionError(f"{master_json} lists {alive}, expected {workers} ALIVE workers")
        time.sleep(1)
    for url in pages:
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        assert "Spark" in body, f"{url} answered without 'Spark': {body[:200]}"
    print(f"PROBE-WEBUI workers={len(alive)} pages={len(pages) + 1}", flush=True)


def connect():
    """A Spark Connect client (SPARK_REMOTE) runs a query on the server."""
    from pyspark.sql import SparkSession

    remote = os.environ["SPARK_REMOTE"]
    deadline = time.time() + 120
    while True:
        try:
            spark = SparkSession.builder.remote(remote).getOrCreate()
            total = spark.range(1, 1001).selectExpr("sum(id) AS s").first()["s"]
            break
        except Exception as err:  # the server may still be starting
            if time.time() > deadline:
                raise
            print(f"waiting for {remote}: {type(err).__name__}", flush=True)
            time.sleep(3)
    assert total == 500500, f"sum of 1..1000 over Spark Connect is {total}"
    frame = spark.range(10).selectExpr("id", "id * id AS sq").toPandas()
    assert int(frame["sq"].sum()) == 285, f"toPandas over Spark Connect gave {frame['sq'].sum()}"
    print(f"PROBE-OK connect sum={total} server={spark.version}", flush=True)


def jdbc(url, user, password, table):
    """Spark reads a PostgreSQL table through the bundled driver."""
    spark = session("local[2]")
    frame = (
        spark.read.format("jdbc")
        .option("url", url)
        .option("driver", "org.postgresql.Driver")
        .option("dbtable", table)
        .option("user", user)
        .option("password", password)
        .load()
    )
    rows = frame.count()
    total = frame.selectExpr("sum(amount) AS s").first()["s"]
    names = sorted(r["name"] for r in frame.select("name").collect())
    assert rows == 3 and int(total) == 60 and names == ["ada", "grace", "linus"], (
        f"read {rows} rows, sum {total}, names {names}"
    )
    print(f"PROBE-OK jdbc rows={rows} sum={int(total)}", flush=True)
    spark.stop()


def iceberg_sql(spark, catalog):
    """Create, insert, MERGE INTO, UPDATE, a schema change and time travel on one Iceberg catalog.

    Returns the facts to print: the snapshot ids and the row counts seen.
    """
    table = f"{catalog}.probe_db.people"
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {catalog}.probe_db")
    spark.sql(f"DROP TABLE IF EXISTS {table}")
    spark.sql(f"CREATE TABLE {table} (id BIGINT, name STRING, amount INT) USING iceberg")
    spark.sql(f"INSERT INTO {table} VALUES (1, 'ada', 10), (2, 'grace', 20)")
    first = spark.sql(
        f"SELECT snapshot_id FROM {table}.snapshots ORDER BY committed_at"
    ).first()["snapshot_id"]
    spark.sql(
        f"""MERGE INTO {table} t
            USING (SELECT 2 AS id, 'grace' AS name, 25 AS amount
                   UNION ALL SELECT 3, 'linus', 30) s
            ON t.id = s.id
            WHEN MATCHED THEN UPDATE SET t.amount = s.amount
            WHEN NOT MATCHED THEN INSERT *"""
    )
    spark.sql(f"UPDATE {table} SET amount = amount + 1 WHERE id = 1")
    spark.sql(f"ALTER TABLE {table} ADD COLUMN city STRING")
    spark.sql(f"INSERT INTO {table} VALUES (4, 'barbara', 40, 'new york')")

    now = spark.sql(f"SELECT count(*) AS n, sum(amount) AS s FROM {table}").first()
    assert (now["n"], now["s"]) == (4, 11 + 25 + 30 + 40), f"{catalog}: now {now}"
    cities = [r["city"] for r in spark.sql(f"SELECT city FROM {table} ORDER BY id").collect()]
    assert cities == [None, None, None, "new york"], f"{catalog}: cities after ADD COLUMN {cities}"
    then = spark.sql(
        f"SELECT count(*) AS n, sum(amount) AS s FROM {table} VERSION AS OF {first}"
    ).first()
    assert (then["n"], then["s"]) == (2, 30), f"{catalog}: at snapshot {first}: {then}"
    snapshots = spark.sql(f"SELECT count(*) AS n FROM {table}.snapshots").first()["n"]
    # Four writes (insert, merge, update, insert); the schema change is metadata only.
    assert snapshots == 4, f"{catalog}: {snapshots} snapshots after four writes"
    columns = [f.name for f in spark.table(table).schema.fields]
    assert columns == ["id", "name", "amount", "city"], f"{catalog}: columns {columns}"
    return f"{catalog}: rows=4 snapshots={snapshots} first={first} at-first=2"


def iceberg(jdbc_url, user, password):
    """Spark SQL on Iceberg against the image's Hadoop catalog (`local`, from its defaults) and a
    JDBC catalog whose metadata lives in PostgreSQL."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("image-dsl-probe")
        .master("local[2]")
        .config("spark.sql.catalog.pg", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.pg.type", "jdbc")
        .config("spark.sql.catalog.pg.uri", jdbc_url)
        .config("spark.sql.catalog.pg.jdbc.user", user)
        .config("spark.sql.catalog.pg.jdbc.password", password)
        .config("spark.sql.catalog.pg.warehouse", "/tmp/iceberg-pg-warehouse")
        .getOrCreate()
    )
    facts = [iceberg_sql(spark, "local"), iceberg_sql(spark, "pg")]
    print(f"PROBE-OK iceberg {'; '.join(facts)}", flush=True)
    spark.stop()


JOBS = {
    "local": local,
    "cluster": cluster,
    "webui": webui,
    "connect": connect,
    "jdbc": jdbc,
    "iceberg": iceberg,
}

if __name__ == "__main__":
    JOBS[sys.argv[1]](*sys.argv[2:])
