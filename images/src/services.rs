//! Services the tests and examples run next to Spark, built from Debian packages like the rest.

use crate::pins;
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
}
