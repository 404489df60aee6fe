//! Base layers: the JRE every Spark image runs on, and CPython on top of it.

use crate::pins;
use image_dsl::image;

image! {
    /// Debian bookworm with OpenJDK 17's headless JRE, tini and the tools Spark's scripts call.
    pub image jre17 {
        name "jre-17";
        tag "bookworm";
        budget 330 MB;
        from debian "bookworm";
        apt ["openjdk-17-jre-headless", "tini", "procps", "libnss-wrapper"];
        run [
            "groupadd --system --gid 185 spark",
            "useradd --system --uid 185 --gid 0 --groups spark --home-dir /home/spark --create-home --shell /usr/sbin/nologin spark",
            "chmod 0775 /home/spark",
        ];
        env JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64";
        user 185:0;
    }

    /// The JRE layer plus CPython 3.11 from Debian, for PySpark.
    pub image python {
        name "python-3.11";
        tag "jre-17";
        budget 400 MB;
        from jre17;
        user 0:0;
        apt ["python3", "python3-venv"];
        user 185:0;
    }
}
