// Harmless neighbours of secret names and values: where a secret is or how it is fetched, the
// shell's PWD, URLs with a user but no password, certificates, paths that look like tokens.
use image_dsl::image;

image! {
    image harmless {
        name "harmless";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        env OAUTH_TOKEN_URL = "https://login.example.org/oauth2/token",
            PGPASSFILE = "/home/spark/.pgpass",
            POSTGRES_PASSWORD_FILE = "/run/secrets/db",
            GOOGLE_APPLICATION_CREDENTIALS = "/etc/gcp/key.json",
            TOKENIZERS_PARALLELISM = "false",
            PWD = "/opt/spark",
            METASTORE_URI = "postgresql://hive@db:5432/metastore",
            JDBC_URL = "jdbc:postgresql://db/metastore?user=hive",
            HF_HOME = "/opt/hf_cache";
        label "org.example.ca" = "-----BEGIN CERTIFICATE-----";
        user 185:0;
    }
}

fn main() {
    assert_eq!(harmless().name, "harmless");
}
