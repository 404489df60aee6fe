"""The natives probe (cargo xtask images test --probe natives): no jar under $SPARK_HOME/jars holds
another platform's native library, and each one it keeps loads on the JVM through the Spark code
that uses it:

- RocksDB: the streaming state store (RocksDBStateStoreProvider) and Spark's KV store;
- zstd, snappy and lz4: Spark's own compression codecs, each checked to run natively (lz4 falls
  back to Java silently, so its native instance is asked for by name);
- LevelDB: Spark's KV store, where the image ships leveldbjni.

Prints `PROBE-OK <facts>`; any assertion or exception fails the probe.
"""

import glob
import json
import os
import platform
import re
import struct
import sys
import tempfile
import zipfile

MACHINES = {"x86_64": 62, "aarch64": 183}


def foreign_natives(jars):
    """(jar, entry, what) for every native entry that is not ELF for this machine."""
    ours = MACHINES[platform.machine()]
    found, kept = [], 0
    for jar in jars:
        with zipfile.ZipFile(jar) as z:
            for info in z.infolist():
                if info.is_dir() or info.filename.endswith(".class"):
                    continue
                with z.open(info) as f:
                    head = f.read(20)
                    if head.startswith(b"\x7fELF"):
                        head += f.read()
                if head.startswith(b"\x7fELF"):
                    endian = "<" if head[5] == 1 else ">"
                    machine = struct.unpack(endian + "H", head[18:20])[0]
                    glibc = b"GLIBC_" in head or b"libc.so.6" in head
                    links = re.search(rb"\.so(\.[0-9]+)*\x00", head) is not None
                    if machine != ours:
                        found.append((jar, info.filename, f"ELF machine {machine}"))
                    elif head[7] not in (0, 3) or b"musl" in head or (links and not glibc):
                        found.append((jar, info.filename, "ELF for another OS or libc"))
                    else:
                        kept += 1
                elif head.startswith(b"<bigaf>") or head[:2] in (b"\x01\xdf", b"\x01\xf7"):
                    found.append((jar, info.filename, "AIX XCOFF"))
                elif head[:4] in (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"):
                    found.append((jar, info.filename, "Mach-O"))
                elif head[:4] == b"\xca\xfe\xba\xbe" and info.filename.endswith((".jnilib", ".dylib")):
                    found.append((jar, info.filename, "universal Mach-O"))
                elif head.startswith(b"MZ") and info.filename.lower().endswith(".dll"):
                    found.append((jar, info.filename, "PE"))
    return found, kept


def round_trip(spark, codec_name):
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.sc().conf()
    codec = jvm.org.apache.spark.io.CompressionCodec.createCodec(conf, codec_name)
    payload = ("image-dsl natives probe " * 4096).encode()
    sink = jvm.java.io.ByteArrayOutputStream()
    out = codec.compressedOutputStream(sink)
    out.write(bytearray(payload))
    out.close()
    packed = sink.toByteArray()
    assert len(packed) < len(payload) // 10, f"{codec_name} did not compress: {len(packed)} bytes"
    back = jvm.org.apache.commons.io.IOUtils.toByteArray(
        codec.compressedInputStream(jvm.java.io.ByteArrayInputStream(packed))
    )
    assert bytes(back) == payload, f"{codec_name} round trip changed the bytes"
    return len(packed)


def codecs(spark, facts):
    jvm = spark.sparkContext._jvm
    for name in ["zstd", "snappy", "lz4"]:
        facts[name] = round_trip(spark, name)
    assert jvm.com.github.luben.zstd.util.Native.isLoaded(), "zstd-jni runs without its native library"
    facts["snappy-native"] = jvm.org.xerial.snappy.Snappy.getNativeLibraryVersion()
    # Spark's LZ4 codec takes LZ4Factory.fastestInstance(), which falls back to pure Java when the
    # native library does not load: ask for the native instance itself.
    lz4 = jvm.net.jpountz.lz4.LZ4Factory.nativeInstance()
    assert "JNI" in lz4.toString(), f"lz4 native instance is {lz4.toString()}"
    facts["lz4-native"] = lz4.toString()


def kv_store(spark, kind):
    jvm = spark.sparkContext._jvm
    path = tempfile.mkdtemp(prefix=f"kv-{kind}-")
    store_class = getattr(jvm.org.apache.spark.util.kvstore, kind)
    store = store_class(jvm.java.io.File(path))
    try:
        store.setMetadata("natives-probe")
        value = store.getMetadata(jvm.java.lang.Class.forName("java.lang.String"))
        assert value == "natives-probe", f"{kind} KV store read back {value!r}"
    finally:
        store.close()
    files = os.listdir(path)
    assert files, f"the {kind} KV store wrote nothing to {path}"
    return f"{len(files)}-files"


def state_store(spark, facts):
    spark.conf.set(
        "spark.sql.streaming.stateStore.providerClass",
        "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
    )
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    source = tempfile.mkdtemp(prefix="stream-in-")
    checkpoint = tempfile.mkdtemp(prefix="stream-ckpt-")
    with open(os.path.join(source, "part-0.json"), "w") as f:
        for i in range(100):
            f.write(json.dumps({"k": i % 7}) + "\n")
    query = (
        spark.readStream.schema("k INT")
        .json(source)
        .groupBy("k")
        .count()
        .writeStream.outputMode("complete")
        .format("memory")
        .queryName("natives_counts")
        .option("checkpointLocation", checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(180), "the streaming query did not finish in 180 s"
    rows = {r["k"]: r["count"] for r in spark.sql("SELECT * FROM natives_counts").collect()}
    assert sum(rows.values()) == 100 and len(rows) == 7, f"state store counted {rows}"
    progress = query.lastProgress or (query.recentProgress or [{}])[-1]
    metrics = progress["stateOperators"][0].get("customMetrics", {})
    rocks = [k for k in metrics if k.lower().startswith("rocksdb")]
    assert rocks, f"the state store reported no RocksDB metrics: {sorted(metrics)}"
    facts["state-store-metrics"] = len(rocks)


def main():
    from pyspark.sql import SparkSession

    jars = sorted(glob.glob(os.path.join(os.environ.get("SPARK_HOME", "/opt/spark"), "jars", "*.jar")))
    assert jars, "no jars under $SPARK_HOME/jars"
    foreign, kept = foreign_natives(jars)
    assert not foreign, "foreign natives left: " + "; ".join(
        f"{os.path.basename(j)}!{e} ({w})" for j, e, w in foreign[:10]
    )
    facts = {"natives-kept": kept, "machine": platform.machine()}
    spark = SparkSession.builder.master("local[2]").appName("natives-probe").getOrCreate()
    codecs(spark, facts)
    facts["rocksdb-kv"] = kv_store(spark, "RocksDB")
    if glob.glob(os.path.join(os.path.dirname(jars[0]), "leveldbjni-all-*.jar")):
        facts["leveldb-kv"] = kv_store(spark, "LevelDB")
    else:
        facts["leveldb-kv"] = "absent"
    state_store(spark, facts)
    spark.stop()
    print("PROBE-OK " + " ".join(f"{k}={str(v).replace(' ', '_')}" for k, v in facts.items()))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - the probe reports every failure the same way
        print(f"PROBE-FAIL {type(e).__name__}: {e}", file=sys.stderr)
        raise
