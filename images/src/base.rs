//! Base layers: the JRE every Spark image runs on, and CPython on top of it.

use image_dsl::image;

image! {
    /// Debian bookworm with an OpenJDK 17 runtime made by jlink from Debian's JDK: only the modules
    /// Spark, Hadoop's client libraries and the JDBC drivers use (Debian's full headless JRE is
    /// 227 MB), with Debian's CA bundle as its cacerts; plus tini and the tools Spark's scripts call.
    pub image jre17 {
        name "jre-17";
        tag "bookworm";
        budget 250 MB;
        stage jlink from debian "bookworm" {
            apt ["openjdk-17-jdk-headless", "binutils"];
            run [
                "jlink --add-modules java.base,java.compiler,java.datatransfer,java.desktop,java.instrument,java.logging,java.management,java.management.rmi,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.sql.rowset,java.transaction.xa,java.xml,java.xml.crypto,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.incubator.vector,jdk.jcmd,jdk.management,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.security.jgss,jdk.unsupported,jdk.zipfs --strip-debug --no-man-pages --no-header-files --compress=2 --output /opt/java",
                "cp --remove-destination /etc/ssl/certs/java/cacerts /opt/java/lib/security/cacerts",
                "/opt/java/bin/java -Xshare:dump -version",
            ];
        }
        from debian "bookworm";
        apt ["tini", "procps", "libnss-wrapper"];
        copy from jlink "/opt/java" to "/opt/java";
        run [
            "groupadd --system --gid 185 spark",
            "useradd --system --uid 185 --gid 0 --groups spark --home-dir /home/spark --create-home --shell /usr/sbin/nologin spark",
            "chmod 0775 /home/spark",
            "find / -xdev -type f -perm /6000 -exec chmod a-s {} +",
        ];
        env JAVA_HOME = "/opt/java",
            PATH = "/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
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
        run ["find / -xdev -type f -perm /6000 -exec chmod a-s {} +"];
        user 185:0;
    }
}
