//! JupyterLab images over the Spark runtime images (seed 002).

use crate::base::python;
use crate::spark::spark_runtime;
use image_dsl::image;

image! {
    /// JupyterLab and ipykernel in their own virtual environment at /opt/jupyter; the kernel sees
    /// Spark and the runtime's /opt/venv through a .pth file, so nothing is installed twice.
    pub image jupyter_env {
        name "python-deps";
        tag "jupyter";
        budget 250 MB;
        stage install from python {
            user 0:0;
            pip ["jupyterlab", "ipykernel"] into "/opt/jupyter";
            run [
                "rm -rf /opt/jupyter/bin/pip* /opt/jupyter/lib/python3.11/site-packages/pip /opt/jupyter/lib/python3.11/site-packages/pip-*.dist-info",
                "find /opt/jupyter -depth \\( -name tests -o -name __pycache__ \\) -type d -exec rm -rf {} +",
                "python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/jupyter/lib/python3.11/site-packages",
            ];
        }
        from scratch;
        copy from install "/opt/jupyter" to "/opt/jupyter";
        user 185:0;
    }

    /// JupyterLab on 8888 over Spark {spark} `{variant}`: PySpark in-process (local mode) or, on
    /// 4.x, through Spark Connect (`SPARK_REMOTE`). Token or password from the environment only.
    pub image jupyter
        for spark in ["3.5.7", "3.5.8", "4.1.0", "4.1.1"],
            variant in ["baseline", "gpu", "iceberg", "gpu-iceberg"]
        // No RAPIDS release on Maven Central has a shim for these (images/policy.toml), as for the runtime
        // images; seed 002's table has no gpu-iceberg cell for Spark 3.5 anyway.
        except (spark = "3.5.7", variant = "gpu"), (spark = "3.5.7", variant = "gpu-iceberg"),
            (spark = "3.5.8", variant = "gpu"), (spark = "3.5.8", variant = "gpu-iceberg"),
            (spark = "4.1.0", variant = "gpu"), (spark = "4.1.0", variant = "gpu-iceberg")
    {
        name "jupyter-{spark}";
        tag "{variant}";
        spark "{spark}" variant "{variant}";
        notebook;
        if variant in ["baseline"] {
            budget 1.3 GB;
        } else {
            budget 2.9 GB;
        }
        from spark_runtime(spark, variant);
        user 0:0;
        copy from jupyter_env "/opt/jupyter" to "/opt/jupyter";
        file "/opt/jupyter/lib/python3.11/site-packages/spark.pth" = include "../files/jupyter/spark.pth";
        file "/usr/local/bin/start-jupyter" = include "../files/jupyter/start.sh" mode 0o755;
        if variant in ["gpu", "gpu-iceberg"] {
            file "/opt/jupyter/share/jupyter/kernels/pyspark-rapids/kernel.json" = include "../files/jupyter/rapids/kernel.json";
            // The RAPIDS kernel runs Spark in local mode on the container's GPU. Local mode does
            // not schedule GPU resources and can hang waiting for them (NVIDIA/spark-rapids
            // discussion #8094), so its Spark conf is the image's without the executor and task
            // GPU requests the cluster modes need.
            run [
                "mkdir -p /opt/jupyter/etc/spark-rapids-local",
                "grep -v -e '^spark\\.executor\\.resource\\.gpu\\.' -e '^spark\\.task\\.resource\\.gpu\\.' /opt/spark/conf/spark-defaults.conf > /opt/jupyter/etc/spark-rapids-local/spark-defaults.conf",
            ];
            // The default kernel, python3, runs Spark in local mode on the CPU. The image's conf
            // is for GPU executors: the RAPIDS plugin does not start without a GPU, and local mode
            // never schedules tasks that request GPUs (they wait forever). So python3's spec
            // (ipykernel's own with a display name and `env`) points SPARK_CONF_DIR at the
            // image's conf without spark.plugins (in this catalog it names only RAPIDS),
            // spark.rapids.* and the GPU requests.
            file "/opt/jupyter/share/jupyter/kernels/python3/kernel.json" = include "../files/jupyter/python3/kernel.json";
            run [
                "mkdir -p /opt/jupyter/etc/spark-cpu-local",
                "sed -E '/^[[:space:]]*spark\\.(plugins|rapids\\.|executor\\.resource\\.gpu\\.|task\\.resource\\.gpu\\.)/d' /opt/spark/conf/spark-defaults.conf > /opt/jupyter/etc/spark-cpu-local/spark-defaults.conf",
            ];
        }
        run [
            "mkdir -p /home/spark/work",
            "chgrp -R 0 /home/spark",
            "chmod -R g+rwX /home/spark",
        ];
        // `jupyter` on the PATH for terminals and `docker run … jupyter …`; after /opt/venv, so
        // `python` stays the interpreter Spark's workers use (PYSPARK_PYTHON).
        env NOTEBOOK_DIR = "/home/spark/work",
            JUPYTER_PATH = "/opt/jupyter/share/jupyter",
            PATH = "/opt/venv/bin:/opt/jupyter/bin:/opt/spark/bin:/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        // Not the notebook dir itself: the engine creates a missing working directory as root
        // 0755, so with an empty volume on /home/spark (read-only root file system) the server
        // could not save notebooks; start-jupyter creates it as the running user instead.
        workdir "/home/spark";
        expose 8888, 4040;
        entrypoint ["/opt/entrypoint.sh"];
        cmd ["/usr/bin/tini", "-s", "--", "/usr/local/bin/start-jupyter"];
        user 185:0;
    }
}
