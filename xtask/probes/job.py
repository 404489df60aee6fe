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


JOBS = {"local": local, "cluster": cluster, "webui": webui, "connect": connect, "jdbc": jdbc}

if __name__ == "__main__":
    JOBS[sys.argv[1]](*sys.argv[2:])
