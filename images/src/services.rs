//! Services the tests and examples run next to Spark, built from Debian packages like the rest.

use crate::base::jre17;
use image_dsl::image;

image! {
    /// PostgreSQL 15 from Debian, for the JDBC tests: initializes its data directory on first start
    /// from POSTGRES_USER, POSTGRES_DB and POSTGRES_PASSWORD(_FILE).
    pub image postgresql {
        name "postgresql";
        tag "15";
        budget 400 MB;
        from debian "bookworm";
        run [
            "groupadd --system --gid 70 postgres",
            "useradd --system --uid 70 --gid 70 --home-dir /var/lib/postgresql --shell /bin/bash postgres",
            "mkdir -p /etc/postgresql-common/createcluster.d",
            "echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf",
        ];
        apt ["postgresql-15", "tini"];
        run [
            "mkdir -p /var/lib/postgresql/data /run/postgresql",
            "chown -R 70:70 /var/lib/postgresql /run/postgresql",
            "chmod 0700 /var/lib/postgresql/data",
            "rm -f /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem",
            "find / -xdev -type f -perm /6000 -exec chmod a-s {} +",
        ];
        file "/usr/local/bin/pg-start" = include "../files/postgres/start.sh" mode 0o755;
        env PGDATA = "/var/lib/postgresql/data";
        volume ["/var/lib/postgresql/data"];
        expose 5432;
        healthcheck { cmd: ["/usr/lib/postgresql/15/bin/pg_isready", "-h", "127.0.0.1"], interval: "5s", timeout: "3s", start_period: "10s", retries: 5 };
        entrypoint ["/usr/bin/tini", "--", "/usr/local/bin/pg-start"];
        user 70:70;
    }

    /// MariaDB 10.11 from Debian, for the JDBC probes of MySQL Connector/J and MariaDB
    /// Connector/J: initializes its data directory on first start from MARIADB_USER,
    /// MARIADB_DATABASE and MARIADB_PASSWORD(_FILE).
    pub image mariadb {
        name "mariadb";
        tag "10.11";
        budget 450 MB;
        from debian "bookworm";
        run [
            "groupadd --system --gid 999 mysql",
            "useradd --system --uid 999 --gid 999 --home-dir /var/lib/mysql --shell /usr/sbin/nologin mysql",
        ];
        apt ["mariadb-server", "tini"];
        // The package initializes a data directory owned by root's install; each container
        // initializes its own on first start instead.
        run [
            "rm -rf /var/lib/mysql",
            "mkdir -p /var/lib/mysql /run/mysqld",
            "chown -R 999:999 /var/lib/mysql /run/mysqld",
            "chmod 0750 /var/lib/mysql",
            "find / -xdev -type f -perm /6000 -exec chmod a-s {} +",
        ];
        file "/usr/local/bin/mariadb-start" = include "../files/mariadb/start.sh" mode 0o755;
        volume ["/var/lib/mysql"];
        expose 3306;
        healthcheck { cmd: ["mariadb-admin", "--socket=/run/mysqld/mysqld.sock", "ping"], interval: "5s", timeout: "3s", start_period: "20s", retries: 5 };
        entrypoint ["/usr/bin/tini", "--", "/usr/local/bin/mariadb-start"];
        user 999:999;
    }

    /// The Iceberg REST catalog server the public iceberg-rest-fixture image runs,
    /// `org.apache.iceberg.rest.RESTCatalogServer` 1.10.1 from Maven Central: a JDBC catalog in an
    /// in-memory sqlite behind the REST API on 8181, writing table metadata with HadoopFileIO
    /// under CATALOG_WAREHOUSE (the server reads every `CATALOG_*` variable as a catalog property).
    pub image iceberg_rest {
        name "iceberg-rest";
        tag "1.10.1";
        budget 250 MB;
        from jre17;
        user 0:0;
        artifact "iceberg-rest-roaringbitmap" to "/opt/iceberg-rest/lib/RoaringBitmap-1.3.0.jar";
        artifact "iceberg-rest-aircompressor" to "/opt/iceberg-rest/lib/aircompressor-0.27.jar";
        artifact "iceberg-rest-avro" to "/opt/iceberg-rest/lib/avro-1.12.0.jar";
        artifact "iceberg-rest-caffeine" to "/opt/iceberg-rest/lib/caffeine-2.9.3.jar";
        artifact "iceberg-rest-checker-qual" to "/opt/iceberg-rest/lib/checker-qual-3.19.0.jar";
        artifact "iceberg-rest-commons-codec" to "/opt/iceberg-rest/lib/commons-codec-1.17.0.jar";
        artifact "iceberg-rest-commons-compress" to "/opt/iceberg-rest/lib/commons-compress-1.26.2.jar";
        artifact "iceberg-rest-commons-io" to "/opt/iceberg-rest/lib/commons-io-2.16.1.jar";
        artifact "iceberg-rest-commons-lang3" to "/opt/iceberg-rest/lib/commons-lang3-3.14.0.jar";
        artifact "iceberg-rest-commons-logging" to "/opt/iceberg-rest/lib/commons-logging-1.2.jar";
        artifact "iceberg-rest-error_prone_annotations" to "/opt/iceberg-rest/lib/error_prone_annotations-2.10.0.jar";
        artifact "iceberg-rest-hadoop-client-api" to "/opt/iceberg-rest/lib/hadoop-client-api-3.4.1.jar";
        artifact "iceberg-rest-hadoop-client-runtime" to "/opt/iceberg-rest/lib/hadoop-client-runtime-3.4.1.jar";
        artifact "iceberg-rest-httpclient5" to "/opt/iceberg-rest/lib/httpclient5-5.5.jar";
        artifact "iceberg-rest-httpcore5" to "/opt/iceberg-rest/lib/httpcore5-5.3.4.jar";
        artifact "iceberg-rest-httpcore5-h2" to "/opt/iceberg-rest/lib/httpcore5-h2-5.3.4.jar";
        artifact "iceberg-rest-iceberg-api" to "/opt/iceberg-rest/lib/iceberg-api-1.10.1.jar";
        artifact "iceberg-rest-iceberg-bundled-guava" to "/opt/iceberg-rest/lib/iceberg-bundled-guava-1.10.1.jar";
        artifact "iceberg-rest-iceberg-common" to "/opt/iceberg-rest/lib/iceberg-common-1.10.1.jar";
        artifact "iceberg-rest-iceberg-core" to "/opt/iceberg-rest/lib/iceberg-core-1.10.1.jar";
        artifact "iceberg-rest-iceberg-core-tests" to "/opt/iceberg-rest/lib/iceberg-core-1.10.1-tests.jar";
        artifact "iceberg-rest-iceberg-open-api-test-fixtures" to "/opt/iceberg-rest/lib/iceberg-open-api-1.10.1-test-fixtures.jar";
        artifact "iceberg-rest-jackson-annotations" to "/opt/iceberg-rest/lib/jackson-annotations-2.19.2.jar";
        artifact "iceberg-rest-jackson-core" to "/opt/iceberg-rest/lib/jackson-core-2.19.2.jar";
        artifact "iceberg-rest-jackson-databind" to "/opt/iceberg-rest/lib/jackson-databind-2.19.2.jar";
        artifact "iceberg-rest-jetty-http" to "/opt/iceberg-rest/lib/jetty-http-11.0.25.jar";
        artifact "iceberg-rest-jetty-io" to "/opt/iceberg-rest/lib/jetty-io-11.0.25.jar";
        artifact "iceberg-rest-jetty-jakarta-servlet-api" to "/opt/iceberg-rest/lib/jetty-jakarta-servlet-api-5.0.2.jar";
        artifact "iceberg-rest-jetty-security" to "/opt/iceberg-rest/lib/jetty-security-11.0.25.jar";
        artifact "iceberg-rest-jetty-server" to "/opt/iceberg-rest/lib/jetty-server-11.0.25.jar";
        artifact "iceberg-rest-jetty-servlet" to "/opt/iceberg-rest/lib/jetty-servlet-11.0.25.jar";
        artifact "iceberg-rest-jetty-util" to "/opt/iceberg-rest/lib/jetty-util-11.0.25.jar";
        artifact "iceberg-rest-jsr305" to "/opt/iceberg-rest/lib/jsr305-3.0.2.jar";
        artifact "iceberg-rest-slf4j-api" to "/opt/iceberg-rest/lib/slf4j-api-2.0.17.jar";
        artifact "iceberg-rest-slf4j-simple" to "/opt/iceberg-rest/lib/slf4j-simple-2.0.16.jar";
        artifact "iceberg-rest-snappy-java" to "/opt/iceberg-rest/lib/snappy-java-1.1.10.4.jar";
        artifact "iceberg-rest-sqlite-jdbc" to "/opt/iceberg-rest/lib/sqlite-jdbc-3.49.1.0.jar";
        run [
            "mkdir -p /var/lib/iceberg-rest/warehouse",
            "chown -R 185:0 /var/lib/iceberg-rest",
            "chmod -R g+rwX /var/lib/iceberg-rest",
        ];
        env CATALOG_WAREHOUSE = "file:///var/lib/iceberg-rest/warehouse",
            REST_PORT = "8181";
        workdir "/var/lib/iceberg-rest";
        expose 8181;
        entrypoint ["/usr/bin/tini", "--", "/opt/java/bin/java", "-cp", "/opt/iceberg-rest/lib/*", "org.apache.iceberg.rest.RESTCatalogServer"];
        user 185:0;
    }
}
