//! The hardened standalone cluster image (seed 003): master and worker in one image, configured by
//! environment variables, with volumes for data, apps, work and logs.

use crate::spark::spark_runtime;
use image_dsl::catalog::Setting;
use image_dsl::image;

image! {
    /// Spark {spark} standalone master/worker: `SPARK_MODE=master|worker`, RPC authentication and
    /// encryption switched by environment variables, non-root (uid 185), volumes for data, apps,
    /// work and logs, health checked on the web UI port.
    pub image standalone for spark in ["3.5.8", "4.1.1"] {
        name "spark-standalone";
        tag "{spark}";
        spark "{spark}" variant "baseline";
        budget 990 MB;
        from spark_runtime(spark, "baseline");
        user 0:0;
        run [
            "mkdir -p /opt/spark/data /opt/spark/apps /opt/spark/work /opt/spark/logs",
            "chown -R 185:0 /opt/spark/data /opt/spark/apps /opt/spark/work /opt/spark/logs",
            "chmod -R g+rwX /opt/spark/data /opt/spark/apps /opt/spark/work /opt/spark/logs",
        ];
        env SPARK_MODE = "master",
            SPARK_MASTER_HOST = "spark-master",
            SPARK_MASTER_PORT = "7077",
            SPARK_MASTER_WEBUI_PORT = "8080",
            SPARK_WORKER_WEBUI_PORT = "8081",
            SPARK_WORKER_DIR = "/opt/spark/work",
            SPARK_LOG_DIR = "/opt/spark/logs",
            SPARK_RPC_AUTHENTICATION_ENABLED = "no",
            SPARK_RPC_ENCRYPTION_ENABLED = "no",
            SPARK_LOCAL_STORAGE_ENCRYPTION_ENABLED = "no";
        volume ["/opt/spark/data", "/opt/spark/apps", "/opt/spark/work", "/opt/spark/logs"];
        expose 7077, 8080, 8081, 4040;
        healthcheck { cmd: ["/opt/entrypoint.sh", "healthcheck"], interval: "10s", timeout: "3s", start_period: "20s", retries: 3 };
        entrypoint ["/opt/entrypoint.sh"];
        cmd ["standalone"];
        user 185:0;
    }
}

/// This declaration's source file, which the compose kit names as the place to edit.
pub const SOURCE: &str = file!();

/// Every variable the standalone image reads, documented. Defaults come from the image's `env`
/// (a test checks both lists agree); secrets have none.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "SPARK_MODE",
        doc: "`master` or `worker`: which daemon `standalone` starts",
        secret: false,
    },
    Setting {
        name: "SPARK_MASTER_HOST",
        doc: "host name the master binds to and workers connect to",
        secret: false,
    },
    Setting {
        name: "SPARK_MASTER_PORT",
        doc: "master RPC port",
        secret: false,
    },
    Setting {
        name: "SPARK_MASTER_WEBUI_PORT",
        doc: "master web UI port",
        secret: false,
    },
    Setting {
        name: "SPARK_WORKER_WEBUI_PORT",
        doc: "worker web UI port",
        secret: false,
    },
    Setting {
        name: "SPARK_WORKER_DIR",
        doc: "worker scratch space for applications (a volume)",
        secret: false,
    },
    Setting {
        name: "SPARK_LOG_DIR",
        doc: "daemon logs (a volume)",
        secret: false,
    },
    Setting {
        name: "SPARK_RPC_AUTHENTICATION_ENABLED",
        doc: "`yes`: every RPC peer must present SPARK_RPC_AUTHENTICATION_SECRET (spark.authenticate)",
        secret: false,
    },
    Setting {
        name: "SPARK_RPC_ENCRYPTION_ENABLED",
        doc: "`yes`: encrypt RPC traffic with AES (spark.network.crypto.enabled); needs authentication",
        secret: false,
    },
    Setting {
        name: "SPARK_LOCAL_STORAGE_ENCRYPTION_ENABLED",
        doc: "`yes`: encrypt shuffle and spill files on disk (spark.io.encryption.enabled)",
        secret: false,
    },
    Setting {
        name: "SPARK_RPC_AUTHENTICATION_SECRET",
        doc: "shared secret for RPC authentication; the same value on master, workers and clients",
        secret: true,
    },
    Setting {
        name: "SPARK_MASTER_REST_ENABLED",
        doc: "`yes`: start the master's REST submission server (it does not authenticate; off by default)",
        secret: false,
    },
    Setting {
        name: "SPARK_WORKER_CORES",
        doc: "cores a worker offers (default: all)",
        secret: false,
    },
    Setting {
        name: "SPARK_WORKER_MEMORY",
        doc: "memory a worker offers, e.g. `2g` (default: all but 1 GB)",
        secret: false,
    },
];
