// The credential conventions of database clients, JDBC and metastore settings and cloud SDKs,
// by name and by value: each is reported at its token.
use image_dsl::image;

image! {
    image leaky {
        name "leaky";
        tag "1.0";
        budget 300 MB;
        from debian "bookworm";
        env PGPASSWORD = "x", MYSQL_PWD = "x", AZURE_STORAGE_CONNECTION_STRING = "x";
        label "javax.jdo.option.ConnectionPassword" = "x";
        env METASTORE_URI = "postgresql://hive:hunter2@db:5432/metastore";
        env JDBC_URL = "jdbc:sqlserver://db:1433;user=sa;password=hunter2";
        arg HF = "hf_abcdefghijklmnopqrstuvwxyz0123";
        user 185:0;
    }
}

fn main() {}
