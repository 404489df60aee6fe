//! Spark layers (seed 001) and the Spark runtime images (seed 000 and its 4.1 sibling).
//!
//! Each layer is built once and shared: the runtime images combine them with `copy from`, so
//! changing one Python pin rebuilds the Python layer and the images that copy it, nothing else.

use crate::base::python;
use image_dsl::image;

image! {
    /// Spark {spark} from `{source}`: the pinned pyspark sdist on PyPI (sha256), which carries the
    /// full jar set (kubernetes, yarn, hive; Spark Connect on 4.x), bin and sbin; or Apache's
    /// binary tarball (sha512) through the Apache archive mirror. Examples, R, tests, data, Mesos, the
    /// Connect JVM client REPL and other platforms' native libraries are left out; pyspark has its bytecode. A data-only layer: runtime images copy /opt/spark from it.
    pub image spark_core for spark in ["3.5.7", "3.5.8", "4.1.0", "4.1.1"], source in ["pypi", "apache"] {
        name "spark-core";
        if source in ["pypi"] {
            tag "{spark}";
        } else {
            tag "{spark}-apache";
        }
        if spark in ["3.5.7", "3.5.8"] {
            budget 360 MB;
        } else {
            budget 460 MB;
        }
        stage unpack from python {
            user 0:0;
            apt ["zip"];
            file "/usr/local/bin/keep-platform-natives" = include "../files/spark/keep-platform-natives.py" mode 0o755;
            if source in ["pypi"] {
                artifact "pyspark-{spark}" to "/tmp/spark.tar.gz";
                run [
                    "mkdir -p /opt/spark/python/lib /opt/spark/defaults.d",
                    "tar -xzf /tmp/spark.tar.gz -C /tmp",
                    "mv /tmp/pyspark-{spark}/deps/jars /tmp/pyspark-{spark}/deps/bin /tmp/pyspark-{spark}/deps/sbin /tmp/pyspark-{spark}/deps/licenses /opt/spark/",
                    "mv /tmp/pyspark-{spark}/pyspark /opt/spark/python/pyspark",
                    "mv /tmp/pyspark-{spark}/lib/py4j-*-src.zip /opt/spark/python/lib/",
                    "rm -rf /tmp/pyspark-{spark}",
                ];
            } else {
                artifact "spark-{spark}-bin-hadoop3" to "/tmp/spark.tar.gz";
                run [
                    "mkdir -p /opt/spark/python/lib /opt/spark/defaults.d",
                    "tar -xzf /tmp/spark.tar.gz -C /tmp",
                    "mv /tmp/spark-{spark}-bin-hadoop3/jars /tmp/spark-{spark}-bin-hadoop3/bin /tmp/spark-{spark}-bin-hadoop3/sbin /tmp/spark-{spark}-bin-hadoop3/licenses /opt/spark/",
                    "mv /tmp/spark-{spark}-bin-hadoop3/python/pyspark /opt/spark/python/pyspark",
                    "mv /tmp/spark-{spark}-bin-hadoop3/python/lib/py4j-*-src.zip /opt/spark/python/lib/",
                    "rm -rf /tmp/spark-{spark}-bin-hadoop3",
                ];
            }
            run [
                "ln -s \"$(basename /opt/spark/python/lib/py4j-*-src.zip)\" /opt/spark/python/lib/py4j-src.zip",
                "rm -f /opt/spark/bin/*.cmd /opt/spark/bin/sparkR /opt/spark/bin/docker-image-tool.sh",
                // The Spark Connect JVM client REPL (61 MB on 4.1) serves only bin/spark-connect-shell;
                // the Connect server jar and the Python client stay.
                "rm -rf /opt/spark/jars/connect-repl /opt/spark/bin/spark-connect-shell",
                // Mesos (deprecated in 3.2, gone in 4.0) is no cluster manager these images serve.
                "rm -f /opt/spark/jars/mesos-*.jar /opt/spark/jars/spark-mesos_*.jar",
                "find /opt/spark/python -depth \\( -name tests -o -name __pycache__ \\) -type d -exec rm -rf {} +",
                // Bytecode, so no Python process recompiles pyspark (uid 185 cannot write it):
                // unchecked-hash pycs hold no timestamps, so a rebuild gives the same bytes.
                "python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/spark/python/pyspark",
                // Native libraries of other platforms (macOS, Windows, other CPUs, musl), found
                // by their headers in the jars; what stays is this platform's.
                "keep-platform-natives /opt/spark/jars",
                "chmod -R a+rX,go-w /opt/spark",
                "rm -f /tmp/spark.tar.gz",
            ];
        }
        from scratch;
        copy from unpack "/opt/spark" to "/opt/spark";
        user 185:0;
    }

    /// Spark's examples jar for Spark {spark}, where the official images and Spark's docs have it
    /// (`/opt/spark/examples/jars/spark-examples_<scala>-<version>.jar`): Apache's SparkPi,
    /// compiled by the Scala compiler Spark ships against that release's own jars. Apache publishes
    /// the examples jar only in its binary tarball, not on Maven Central.
    pub image spark_examples for spark in ["3.5.7", "3.5.8", "4.1.0", "4.1.1"] {
        name "spark-examples";
        tag "{spark}";
        budget 1 MB;
        stage compile from python {
            user 0:0;
            copy from spark_core(spark, "pypi") "/opt/spark/jars" to "/opt/spark/jars";
            file "/tmp/examples/SparkPi.scala" = include "../files/spark/examples/SparkPi.scala";
            run [
                "mkdir -p /opt/spark/examples/jars",
                "java -Xmx1g -cp '/opt/spark/jars/*' scala.tools.nsc.Main -usejavacp -nowarn -d /opt/spark/examples/jars/spark-examples_{spark:scala}-{spark}.jar /tmp/examples/SparkPi.scala",
                "chmod 0644 /opt/spark/examples/jars/spark-examples_{spark:scala}-{spark}.jar",
                "rm -rf /tmp/examples",
            ];
        }
        from scratch;
        copy from compile "/opt/spark/examples" to "/opt/spark/examples";
        user 185:0;
    }

    /// Python dependencies `{set}` in a virtual environment at /opt/venv, installed from wheels
    /// fetched and verified on the host. base: pandas, numpy, pyarrow and the Spark Connect client
    /// (grpcio, protobuf, zstandard); iceberg: + pyiceberg with its SQL catalog, fsspec; gpu: +
    /// cudf, cuml, cupy for CUDA 12.
    pub image python_deps for set in ["base", "iceberg", "gpu"] {
        name "python-deps";
        tag "{set}";
        if set in ["gpu"] {
            budget 7 GB;
        } else {
            budget 450 MB;
        }
        stage install from python {
            user 0:0;
            file "/usr/local/bin/link-duplicate-libs" = include "../files/python/link-duplicate-libs.py" mode 0o755;
            if set in ["base"] {
                pip ["numpy", "pandas", "pyarrow", "grpcio", "grpcio-status", "googleapis-common-protos", "protobuf", "zstandard"] into "/opt/venv";
            }
            if set in ["iceberg"] {
                pip ["numpy", "pandas", "pyarrow", "grpcio", "grpcio-status", "googleapis-common-protos", "protobuf", "zstandard", "pyiceberg", "sqlalchemy", "fsspec"] into "/opt/venv";
            }
            if set in ["gpu"] {
                pip ["numpy", "pandas", "pyarrow", "grpcio", "grpcio-status", "googleapis-common-protos", "protobuf", "zstandard", "cudf-cu12", "cuml-cu12", "cupy-cuda12x"] into "/opt/venv";
            }
            // Nothing in these sets imports setuptools or pkg_resources at run time, and its
            // .pth would be imported by every interpreter start. (The RAPIDS set keeps it: not
            // verified here without a GPU host's full import tests.)
            if set in ["base", "iceberg"] {
                run ["rm -rf /opt/venv/lib/python3.11/site-packages/setuptools /opt/venv/lib/python3.11/site-packages/setuptools-*.dist-info /opt/venv/lib/python3.11/site-packages/pkg_resources /opt/venv/lib/python3.11/site-packages/_distutils_hack /opt/venv/lib/python3.11/site-packages/distutils-precedence.pth"];
            }
            // Nothing installs or compiles into the venv at run time: drop pip, test suites, C
            // headers and sources, Cython sources; identical library copies become symlinks.
            run [
                "rm -rf /opt/venv/bin/pip* /opt/venv/lib/python3.11/site-packages/pip /opt/venv/lib/python3.11/site-packages/pip-*.dist-info",
                "link-duplicate-libs /opt/venv/lib/python3.11/site-packages",
                "rm -rf /opt/venv/lib/python3.11/site-packages/pyarrow/include",
                "find /opt/venv -depth \\( -name tests -o -name __pycache__ \\) -type d -exec rm -rf {} +",
                "find /opt/venv \\( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' -o -name '*.c' \\) -type f -delete",
                "rm -rf /opt/venv/lib/python3.11/site-packages/pyarrow/src",
                // Arrow Flight (RPC) and pyarrow's C++ test module are not used by Spark's Arrow
                // paths nor by pyiceberg; zstandard's CFFI backend duplicates its C backend.
                "rm -f /opt/venv/lib/python3.11/site-packages/pyarrow/libarrow_flight.so.* /opt/venv/lib/python3.11/site-packages/pyarrow/libarrow_python_flight.so* /opt/venv/lib/python3.11/site-packages/pyarrow/_flight.cpython-*.so /opt/venv/lib/python3.11/site-packages/pyarrow/_pyarrow_cpp_tests.cpython-*.so",
                "rm -f /opt/venv/lib/python3.11/site-packages/zstandard/_cffi.cpython-*.so",
                // Bytecode for what stays (pip's own pycs carry install-time stamps and went with
                // the __pycache__ sweep above): no process recompiles pandas or pyarrow.
                "python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv/lib/python3.11/site-packages",
            ];
        }
        from scratch;
        copy from install "/opt/venv" to "/opt/venv";
        user 185:0;
    }

    /// JDBC drivers `{source}`. debian: PostgreSQL and MariaDB/MySQL drivers as Debian packages them;
    /// maven: MySQL Connector/J, Oracle, Microsoft SQL Server and Vertica drivers from Maven.
    pub image jdbc_drivers for source in ["debian", "maven"] {
        name "jdbc-drivers";
        tag "{source}";
        budget 40 MB;
        if source in ["debian"] {
            stage fetch from debian "bookworm" {
                apt ["libpostgresql-jdbc-java", "libmariadb-java"];
                run [
                    "mkdir -p /opt/jdbc",
                    "cp -L /usr/share/java/postgresql.jar /usr/share/java/mariadb-java-client.jar /opt/jdbc/",
                    "chmod 0644 /opt/jdbc/*.jar",
                ];
            }
            from scratch;
            copy from fetch "/opt/jdbc" to "/opt/jdbc";
        } else {
            from scratch;
            artifact "mysql-connector-j" to "/opt/jdbc/mysql-connector-j.jar";
            artifact "ojdbc11" to "/opt/jdbc/ojdbc11.jar";
            artifact "mssql-jdbc" to "/opt/jdbc/mssql-jdbc.jar";
            artifact "vertica-jdbc" to "/opt/jdbc/vertica-jdbc.jar";
        }
        user 185:0;
    }

    /// The RAPIDS Accelerator for Spark {spark} (CUDA 12; it bundles the cuDF native libraries, so
    /// the image needs only the host's NVIDIA driver): the pinned jar of its Scala line with the
    /// shim for this Spark release (`spark411/`) and the shared classes, without the other
    /// releases' shims (87 MB of the 26.08.1 jar's 1008 MB). `zip -d` deletes entries without
    /// recompressing the rest, so what stays is upstream's bytes.
    pub image jars_rapids for spark in ["4.1.1"] {
        name "jars-rapids";
        tag "spark-{spark}";
        budget 1 GB;
        stage slim from debian "bookworm" {
            apt ["zip", "unzip"];
            artifact "rapids-4-spark_{spark:scala}" to "/tmp/rapids.jar";
            file "/usr/local/bin/keep-one-shim" = include "../files/spark/keep-one-shim.sh" mode 0o755;
            run [
                "mkdir -p /opt/jars",
                "keep-one-shim /tmp/rapids.jar {spark}",
                "mv /tmp/rapids.jar /opt/jars/rapids-4-spark_{spark:scala}.jar",
                "chmod 0644 /opt/jars/rapids-4-spark_{spark:scala}.jar",
            ];
        }
        from scratch;
        copy from slim "/opt/jars/rapids-4-spark_{spark:scala}.jar" to "/opt/jars/";
        user 185:0;
    }

    /// Iceberg's Spark runtime for Spark {line} and the AWS bundle (S3, Glue, DynamoDB).
    pub image jars_iceberg for line in ["3.5", "4.1"] {
        name "jars-iceberg";
        tag "spark-{line}";
        budget 150 MB;
        from scratch;
        artifact "iceberg-spark-runtime-{line}_{line:scala}" to "/opt/jars/iceberg-spark-runtime-{line}_{line:scala}.jar";
        if line in ["3.5"] {
            artifact "iceberg-aws-bundle-1.10.1" to "/opt/jars/iceberg-aws-bundle.jar";
        } else {
            artifact "iceberg-aws-bundle-1.11.0" to "/opt/jars/iceberg-aws-bundle.jar";
        }
        user 185:0;
    }

    /// Spark {spark} `{variant}` runtime: JRE 17, Python 3.11, Spark with its PostgreSQL and MariaDB
    /// drivers, one entrypoint for Kubernetes (driver, executor), standalone (master, worker,
    /// history) and Spark Connect. Runs as uid 185, or any uid with gid 0.
    pub image spark_runtime
        for spark in ["3.5.7", "3.5.8", "4.1.0", "4.1.1"],
            variant in ["baseline", "gpu", "iceberg", "gpu-iceberg"]
        // No RAPIDS release on Maven Central has a shim for these (images/policy.toml): Scala 2.12's newest,
        // 25.04.0, stops at Spark 3.5.5; 26.08.1 (Scala 2.13) skipped 4.1.0 (NVIDIA/cudf-spark#14056).
        except (spark = "3.5.7", variant = "gpu"), (spark = "3.5.7", variant = "gpu-iceberg"),
            (spark = "3.5.8", variant = "gpu"), (spark = "3.5.8", variant = "gpu-iceberg"),
            (spark = "4.1.0", variant = "gpu"), (spark = "4.1.0", variant = "gpu-iceberg")
    {
        name "spark-{spark}";
        tag "{variant}";
        spark "{spark}" variant "{variant}";
        if variant in ["baseline"] {
            budget 990 MB;
        } else {
            budget 1990 MB;
        }
        from python;
        user 0:0;
        copy from spark_core(spark, "pypi") "/opt/spark" to "/opt/spark";
        copy from spark_examples(spark) "/opt/spark/examples" to "/opt/spark/examples";
        copy from jdbc_drivers("debian") ["/opt/jdbc/postgresql.jar", "/opt/jdbc/mariadb-java-client.jar"] to "/opt/spark/jars/";
        if variant in ["iceberg", "gpu-iceberg"] {
            copy from python_deps("iceberg") "/opt/venv" to "/opt/venv";
            copy from jars_iceberg("{spark:minor}") "/opt/jars/" to "/opt/spark/jars/";
            file "/opt/spark/defaults.d/20-iceberg.conf" = include "../files/spark/iceberg-defaults.conf";
        } else {
            copy from python_deps("base") "/opt/venv" to "/opt/venv";
        }
        if variant in ["gpu", "gpu-iceberg"] {
            copy from jars_rapids(spark) "/opt/jars/" to "/opt/spark/jars/";
            file "/opt/spark/defaults.d/10-rapids.conf" = include "../files/spark/gpu-defaults.conf";
            file "/opt/spark/conf/get-gpus-resources.sh" = include "../files/spark/get-gpus-resources.sh" mode 0o755;
        }
        file "/opt/entrypoint.sh" = include "../files/spark/entrypoint.sh" mode 0o755;
        run [
            "mkdir -p /opt/spark/conf /opt/spark/defaults.d /opt/spark/work-dir /opt/spark/logs /opt/spark/work",
            "cat /opt/spark/defaults.d/*.conf > /opt/spark/conf/spark-defaults.conf 2> /dev/null || : > /opt/spark/conf/spark-defaults.conf",
            "chgrp -R 0 /opt/spark/conf /opt/spark/work-dir /opt/spark/logs /opt/spark/work /home/spark",
            "chmod -R g+rwX /opt/spark/conf /opt/spark/work-dir /opt/spark/logs /opt/spark/work /home/spark",
            "find / -xdev -type f -perm /6000 -exec chmod a-s {} +",
        ];
        env SPARK_HOME = "/opt/spark",
            SPARK_CONF_DIR = "/opt/spark/conf",
            HOME = "/home/spark",
            PYTHONPATH = "/opt/spark/python:/opt/spark/python/lib/py4j-src.zip",
            PYSPARK_PYTHON = "/opt/venv/bin/python3",
            PATH = "/opt/venv/bin:/opt/spark/bin:/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        workdir "/opt/spark/work-dir";
        expose 4040;
        entrypoint ["/opt/entrypoint.sh"];
        user 185:0;
    }
}
