"""PySpark jobs the image probes run (cargo xtask images test), one per subcommand.

Every job checks its own result and prints `PROBE-OK <facts>` on success; anything else (an
assertion, an exception, a non-zero exit) is a failed probe. Generated output is parsed by
image-dsl/cli/src/probe/, so keep the `PROBE-` lines stable.
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


def standby(master):
    """A driver that only waits: what `images bench --startup` times executors registering with.
    Prints the application and the executor options (as `cluster` does), then `PROBE-READY`."""
    spark = session(master)
    print(f"PROBE-APP-ID {spark.sparkContext.applicationId}", flush=True)
    print(f"PROBE-EXECUTOR-JAVA-OPTS {json.dumps(executor_java_opts(spark))}", flush=True)
    print("PROBE-READY", flush=True)
    time.sleep(3600)


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


def drivers(directory, postgres_url, mariadb_url, user, password):
    """Every JDBC driver jar in `directory`: its java.sql.Driver class (from the jar's service file)
    loads on Spark's JVM and reports its version; drivers of databases that run here (PostgreSQL;
    MariaDB, for MariaDB's and MySQL's drivers) then read `SELECT VERSION()` through Spark."""
    import glob
    import zipfile
    from pyspark.sql import SparkSession

    jars = sorted(glob.glob(f"{directory}/*.jar"))
    assert jars, f"no jar in {directory}"
    spark = (
        SparkSession.builder.appName("image-dsl-probe")
        .master("local[1]")
        .config("spark.jars", ",".join(jars))
        .getOrCreate()
    )
    jvm = spark._jvm
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    no_classes = spark.sparkContext._gateway.new_array(jvm.java.lang.Class, 0)
    no_args = spark.sparkContext._gateway.new_array(jvm.java.lang.Object, 0)
    # Spark has no MariaDB dialect: its default one quotes column names with double quotes,
    # which MariaDB reads as strings unless the session is in ANSI_QUOTES mode.
    live = {
        "org.postgresql.Driver": postgres_url,
        "org.mariadb.jdbc.Driver": mariadb_url + "?sessionVariables=sql_mode=ANSI_QUOTES",
        "com.mysql.cj.jdbc.Driver": mariadb_url.replace("jdbc:mariadb:", "jdbc:mysql:") + "?sslMode=DISABLED",
    }
    facts = []
    for jar in jars:
        with zipfile.ZipFile(jar) as z:
            services = z.read("META-INF/services/java.sql.Driver").decode()
        classes = [c.strip() for c in services.splitlines() if c.strip() and not c.startswith("#")]
        assert classes, f"{jar} names no java.sql.Driver"
        name = classes[0]
        cls = jvm.java.lang.Class.forName(name, True, loader)
        driver = cls.getDeclaredConstructor(no_classes).newInstance(no_args)
        version = f"{driver.getMajorVersion()}.{driver.getMinorVersion()}"
        fact = f"{jar.rsplit('/', 1)[-1]}={name}@{version}"
        url = live.get(name)
        if url:
            row = (
                spark.read.format("jdbc")
                .option("url", url)
                .option("driver", name)
                .option("query", "SELECT VERSION() AS v")
                .option("user", user)
                .option("password", password)
                .load()
                .first()
            )
            server = " ".join(str(row["v"]).split()[:2])
            assert any(c.isdigit() for c in server), f"{name} read {row['v']!r} as the version from {url}"
            fact += f" (read server {server})"
        print(f"PROBE-DRIVER {fact}", flush=True)
        facts.append(fact)
    print(f"PROBE-OK drivers {'; '.join(facts)}", flush=True)
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


def wait_for_rest(uri, seconds=120):
    """Until the REST catalog answers GET /v1/config."""
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/v1/config", timeout=5) as response:
                json.load(response)
                return
        except OSError as error:
            if time.time() > deadline:
                raise AssertionError(f"the REST catalog at {uri} did not answer in {seconds}s: {error}")
            time.sleep(1)


def pyiceberg_reads(uri):
    """pyiceberg loads, through the REST catalog, the table Spark wrote, and reads it."""
    from pyiceberg.catalog import load_catalog

    table = load_catalog("rest", type="rest", uri=uri).load_table("probe_db.people")
    rows = table.scan().to_arrow()
    names = sorted(rows.column("name").to_pylist())
    assert names == ["ada", "barbara", "grace", "linus"], f"pyiceberg read {names}"
    assert sum(rows.column("amount").to_pylist()) == 11 + 25 + 30 + 40, "pyiceberg: amounts"
    fields = [f.name for f in table.schema().fields]
    assert fields == ["id", "name", "amount", "city"], f"pyiceberg: schema {fields}"
    snapshots = len(table.snapshots())
    assert snapshots == 4, f"pyiceberg: {snapshots} snapshots"
    return f"pyiceberg via rest: rows={rows.num_rows} snapshots={snapshots}"


def iceberg(jdbc_url, user, password, rest_uri):
    """Spark SQL on Iceberg against the image's Hadoop catalog (`local`, from its defaults), a
    JDBC catalog whose metadata lives in PostgreSQL and a REST catalog; then pyiceberg reads the
    REST catalog's table."""
    from pyspark.sql import SparkSession

    wait_for_rest(rest_uri)
    spark = (
        SparkSession.builder.appName("image-dsl-probe")
        .master("local[2]")
        .config("spark.sql.catalog.pg", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.pg.type", "jdbc")
        .config("spark.sql.catalog.pg.uri", jdbc_url)
        .config("spark.sql.catalog.pg.jdbc.user", user)
        .config("spark.sql.catalog.pg.jdbc.password", password)
        .config("spark.sql.catalog.pg.warehouse", "/tmp/iceberg-pg-warehouse")
        .config("spark.sql.catalog.rest", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.rest.type", "rest")
        .config("spark.sql.catalog.rest.uri", rest_uri)
        .getOrCreate()
    )
    facts = [iceberg_sql(spark, catalog) for catalog in ("local", "pg", "rest")]
    spark.stop()
    facts.append(pyiceberg_reads(rest_uri))
    print(f"PROBE-OK iceberg {'; '.join(facts)}", flush=True)


def gpu_query(spark):
    """A grouped sum the RAPIDS Accelerator can run entirely on the GPU, and its checked result."""
    frame = (
        spark.range(0, 100_000)
        .selectExpr("id % 10 AS k", "id AS v")
        .groupBy("k")
        .sum("v")
        .orderBy("k")
    )
    rows = frame.collect()
    assert len(rows) == 10, f"{len(rows)} groups"
    assert rows[3][1] == sum(range(3, 100_000, 10)), f"group 3 sums to {rows[3][1]}"
    return frame


def rapids_session(spark_version, mode):
    """A local session on the image's RAPIDS defaults (spark.plugins comes from them, not from
    here) in the plugin's `mode`; checks the plugin found the shim for this exact Spark release."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("image-dsl-probe")
        .master("local[2]")
        .config("spark.rapids.sql.mode", mode)
        .config("spark.rapids.sql.explain", "ALL")
        .getOrCreate()
    )
    plugins = spark.conf.get("spark.plugins", "")
    assert "com.nvidia.spark.SQLPlugin" in plugins, f"spark.plugins is {plugins!r}"
    assert spark.version == spark_version, f"Spark is {spark.version}, expected {spark_version}"
    shim = spark._jvm.com.nvidia.spark.rapids.ShimLoader.getShimVersion().toString()
    assert shim == spark_version, f"the RAPIDS shim is {shim} on Spark {spark_version}"
    return spark, shim


def gpu_explain(spark_version):
    """RAPIDS in explainOnly mode, on the CPU: the query runs and the plugin's plan says which
    operators would run on the GPU (the plugin also logs it, which the probe checks)."""
    import re

    spark, shim = rapids_session(spark_version, "explainOnly")
    frame = gpu_query(spark)
    plan = spark._jvm.com.nvidia.spark.rapids.ExplainPlan.explainPotentialGpuPlan(frame._jdf, "ALL")
    on_gpu = sorted(set(re.findall(r"\*Exec <(\w+)> will run on GPU", plan)))
    not_on_gpu = sorted(set(re.findall(r"!Exec <(\w+)> cannot run on GPU", plan)))
    assert "HashAggregateExec" in on_gpu, f"the plan keeps the aggregate on the CPU:\n{plan}"
    for line in plan.splitlines():
        print(f"PROBE-PLAN {line}", flush=True)
    print(
        f"PROBE-OK shim={shim} rows=10 would-run-on-gpu={','.join(on_gpu)}"
        f" stays-on-cpu={','.join(not_on_gpu) or 'none'}",
        flush=True,
    )
    spark.stop()


def gpu_run(spark_version):
    """On a GPU host: the same query with the plugin executing; its executed plan must be on the GPU."""
    spark, shim = rapids_session(spark_version, "executeOnGPU")
    frame = gpu_query(spark)
    plan = frame._jdf.queryExecution().executedPlan().toString()
    assert "GpuHashAggregate" in plan, f"the executed plan is not on the GPU:\n{plan}"
    print(f"PROBE-OK shim={shim} rows=10 executed on the GPU (GpuHashAggregate)", flush=True)
    spark.stop()


JOBS = {
    "local": local,
    "cluster": cluster,
    "standby": standby,
    "webui": webui,
    "connect": connect,
    "jdbc": jdbc,
    "iceberg": iceberg,
    "drivers": drivers,
    "gpu-explain": gpu_explain,
    "gpu-run": gpu_run,
}

if __name__ == "__main__":
    JOBS[sys.argv[1]](*sys.argv[2:])
