//! Unit tests of the compile-time rules: each `check_*` of `check.rs` fires with its message on a
//! violating declaration, stays quiet on a valid one; and the rules whose data is the catalog's
//! policy (`policy.rs`) are emitted as const assertions against `crate::policy::POLICY`, with
//! what they need to say (their outcome on the committed policy is `tests/policy.rs` of the
//! workspace, their messages `image_dsl::policy`'s tests).
//!
//! Spans are proven by the trybuild cases in `tests/ui/`; here only the messages are checked.

use image_dsl_macros_core::{expand, violations};
use image_dsl_spark::SparkVersion;
use proc_macro2::TokenStream;
use quote::quote;

/// A valid single image with `steps` inserted between its base and its final `user 185:0;`.
fn image_with(steps: TokenStream) -> Vec<String> {
    violations(quote! {
        image app {
            name "app";
            tag "1.0";
            budget 300 MB;
            from debian "bookworm";
            #steps
            user 185:0;
        }
    })
}

/// A Spark image `spark VERSION variant VARIANT` with `budget`, otherwise valid.
fn spark_image(version: &str, variant: &str, budget: TokenStream) -> Vec<String> {
    violations(quote! {
        image spark_runtime {
            name "spark";
            tag "cell";
            spark #version variant #variant;
            #budget
            from debian "bookworm";
            user 185:0;
        }
    })
}

/// The policy assertions of an expansion, each as `check_name(args)` with the policy argument
/// (`&crate::policy::POLICY`) left out and spaces removed.
fn policy_checks(input: TokenStream) -> Vec<String> {
    let code = expand(input).to_string().replace(' ', "");
    let mut checks = Vec::new();
    for (at, _) in code.match_indices("::image_dsl::__private::check_") {
        let call = &code[at + "::image_dsl::__private::".len()..];
        let end = call.find(");").expect("an assertion ends its const item");
        let call = call[..end + 1].replace("(&crate::policy::POLICY,", "(");
        checks.push(call);
    }
    checks
}

fn spark_source(version: &str, variant: &str, budget: TokenStream) -> TokenStream {
    quote! {
        image spark_runtime {
            name "spark";
            tag "cell";
            spark #version variant #variant;
            #budget
            from debian "bookworm";
            user 185:0;
        }
    }
}

/// Exactly one violation, containing every one of `parts`.
#[track_caller]
fn assert_one(violations: &[String], parts: &[&str]) {
    assert_eq!(
        violations.len(),
        1,
        "expected one violation, got {violations:#?}"
    );
    for part in parts {
        assert!(
            violations[0].contains(part),
            "{:?} does not contain {part:?}",
            violations[0]
        );
    }
}

#[track_caller]
fn assert_none(violations: &[String]) {
    assert!(
        violations.is_empty(),
        "expected no violation, got {violations:#?}"
    );
}

// --- valid declarations -------------------------------------------------------------------------

#[test]
fn a_valid_single_image_has_no_violations() {
    assert_none(&violations(quote! {
        /// Debian bookworm with OpenJDK 17's headless JRE.
        pub image jre17 {
            name "jre-17";
            tag "bookworm";
            budget 330 MB;
            from debian "bookworm";
            apt ["openjdk-17-jre-headless", "tini", "procps=2:4.0.2-3"];
            run ["groupadd --system --gid 185 spark", "chmod 0775 /home/spark"];
            env JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64";
            label "org.opencontainers.image.title" = "jre-17";
            workdir "/opt";
            expose 8080, 7077;
            volume ["/data"];
            healthcheck { cmd: ["true"], interval: "30s", timeout: "5s", start_period: "10s", retries: 3 };
            entrypoint ["/usr/bin/tini", "--"];
            cmd ["java", "-version"];
            user 185:0;
        }
    }));
}

#[test]
fn a_valid_matrix_with_stages_and_every_kind_of_pin_has_no_violations() {
    assert_none(&violations(quote! {
        /// Spark {spark} ({variant}).
        pub image spark_runtime
            for spark in ["3.5.7", "3.5.8", "4.1.0", "4.1.1"],
                variant in ["baseline", "gpu", "iceberg", "gpu-iceberg"]
            except (spark = "3.5.7", variant = "gpu"), (spark = "3.5.7", variant = "gpu-iceberg"),
                (spark = "3.5.8", variant = "gpu"), (spark = "3.5.8", variant = "gpu-iceberg"),
                (spark = "4.1.0", variant = "gpu"), (spark = "4.1.0", variant = "gpu-iceberg")
        {
            name "spark";
            tag "{spark}-{variant}";
            spark "{spark}" variant "{variant}";
            if variant in ["baseline"] { budget 950 MB; } else { budget 1.9 GB; }
            stage fetch from "debian:bookworm-slim@sha256:b1a741487078b369e78119849663d7f1a5341ef2768798f7b7406c4240f86aef" {
                user 0:0;
                artifact "pyspark-{spark}" to "/tmp/pyspark.tar.gz";
                artifact {
                    url: "https://example.org/tool-1.0.tgz",
                    version: "1.0",
                    sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                } to "/tmp/tool.tgz";
                git "oh-my-zsh" to "/opt/omz";
                git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: "0123456789abcdef0123456789abcdef01234567" } to "/opt/omz2";
                run ["mkdir -p /opt/spark"];
            }
            from debian "bookworm";
            apt ["tini"];
            pip ["pandas==2.2.3", "pyarrow"] into "/opt/venv";
            if variant in ["iceberg", "gpu-iceberg"] {
                artifact "iceberg-spark-runtime-{spark:minor}_{spark:scala}" to "/opt/spark/jars/iceberg.jar";
            }
            copy from fetch ["/opt/spark"] to "/opt/spark" chown 185:0;
            file "/opt/entrypoint.sh" = include "entrypoint.sh" mode 0o755;
            user 185:0;
        }
    }));
}

// --- check_name_and_tag -------------------------------------------------------------------------

#[test]
fn name_tag_and_from_are_required() {
    let v = violations(quote! {
        image bare {
            budget 300 MB;
            user 185:0;
        }
    });
    assert_eq!(
        v,
        [
            "image `bare` has no `name`: add `name \"...\";`",
            "image `bare` has no `tag`: add `tag \"...\";`",
            "image `bare` has no `from`: its own stage needs a base",
        ]
    );
}

#[test]
fn tag_latest_is_rejected() {
    let v = violations(quote! {
        image moving { name "moving"; tag "latest"; budget 300 MB; from debian "bookworm"; user 185:0; }
    });
    assert_one(&v, &["tag `latest` moves with every build"]);
}

#[test]
fn name_and_tag_must_be_valid_docker_references() {
    let v = violations(quote! {
        image odd { name "Spark Runtime"; tag "1.0 beta"; budget 300 MB; from debian "bookworm"; user 185:0; }
    });
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(
        v[0].starts_with("`Spark Runtime` is not a valid image name"),
        "{v:#?}"
    );
    assert!(v[1].starts_with("`1.0 beta` is not a valid tag"), "{v:#?}");
    let long_tag = "a".repeat(129);
    let v = violations(quote! {
        image long { name "org/long-name_1.x"; tag #long_tag; budget 300 MB; from debian "bookworm"; user 185:0; }
    });
    assert_one(&v, &["is not a valid tag", "at most 128"]);
}

// --- check_final_user ---------------------------------------------------------------------------

#[test]
fn final_user_root_by_name_is_rejected() {
    let v = violations(quote! {
        image rooted { name "rooted"; tag "1.0"; budget 300 MB; from debian "bookworm"; user root; }
    });
    assert_eq!(
        v,
        [
            "`user root`: use a numeric non-root uid:gid (e.g. `user 185:0;`) so runAsNonRoot can verify it"
        ]
    );
    let v = violations(quote! {
        image named { name "named"; tag "1.0"; budget 300 MB; from debian "bookworm"; user "spark"; }
    });
    assert_one(&v, &["`user spark`: use a numeric non-root uid:gid"]);
}

#[test]
fn final_user_uid_zero_is_rejected() {
    let v = violations(quote! {
        image rooted { name "rooted"; tag "1.0"; budget 300 MB; from debian "bookworm"; user 0:0; }
    });
    assert_eq!(
        v,
        ["the final stage must not run as root (uid 0): use a non-root uid such as 185"]
    );
    // gid 0 alone is fine: OpenShift's arbitrary uids write group-owned directories through it.
    assert_none(&violations(quote! {
        image ok { name "ok"; tag "1.0"; budget 300 MB; from debian "bookworm"; user 1000:0; }
    }));
}

#[test]
fn final_user_must_be_set_and_the_last_user_counts() {
    let v = violations(quote! {
        image implicit { name "implicit"; tag "1.0"; budget 300 MB; from debian "bookworm"; run ["true"]; }
    });
    assert_one(&v, &["image `implicit` never sets `user`"]);
    // Root in the middle of the final stage is fine when a non-root user comes last ...
    assert_none(&image_with(quote! { user 0:0; apt ["tini"]; }));
    // ... and a non-root user followed by root is not.
    let v = violations(quote! {
        image flipped { name "flipped"; tag "1.0"; budget 300 MB; from debian "bookworm"; user 185:0; user 0:0; }
    });
    assert_one(&v, &["must not run as root (uid 0)"]);
}

#[test]
fn builder_stages_may_run_as_root() {
    let v = violations(quote! {
        image built {
            name "built"; tag "1.0"; budget 300 MB;
            stage build from debian "bookworm" { user root; user 0:0; run ["make"]; }
            from debian "bookworm";
            copy from build "/out" to "/opt/out";
            user 185:0;
        }
    });
    assert_none(&v);
}

#[test]
fn root_because_needs_a_real_reason() {
    let v = violations(quote! {
        image sshd { name "sshd"; tag "1.0"; budget 300 MB; from debian "bookworm"; user root because "x"; }
    });
    assert_one(&v, &["say why this image must start as root"]);
    let v = violations(quote! {
        image sshd {
            name "sshd"; tag "1.0"; budget 300 MB; from debian "bookworm";
            user root because "sshd must bind port 22 and switch to the user who logs in";
        }
    });
    assert_none(&v);
}

#[test]
fn copy_chown_by_name_is_rejected() {
    let v = violations(quote! {
        image owned {
            name "owned"; tag "1.0"; budget 300 MB;
            stage build from debian "bookworm" { run ["make"]; }
            from debian "bookworm";
            copy from build "/out" to "/opt/out" chown spark;
            user 185:0;
        }
    });
    assert_eq!(v, ["`chown spark`: use a numeric uid:gid"]);
}

// --- check_size_budget --------------------------------------------------------------------------

#[test]
fn every_image_declares_a_budget() {
    let v = violations(quote! {
        image unbounded { name "unbounded"; tag "1.0"; from debian "bookworm"; user 185:0; }
    });
    assert_eq!(
        v,
        ["image `unbounded` has no size budget: add e.g. `budget 600 MB;`"]
    );
}

#[test]
fn budget_units_and_zero() {
    let v = violations(quote! {
        image tiny { name "tiny"; tag "1.0"; budget 600 KB; from debian "bookworm"; user 185:0; }
    });
    assert_eq!(v, ["unknown unit `KB`: use MB, GB, MiB or GiB"]);
    let v = violations(quote! {
        image none { name "none"; tag "1.0"; budget 0 MB; from debian "bookworm"; user 185:0; }
    });
    assert_eq!(v, ["a budget of zero bytes can never be met"]);
}

/// The ceiling is the catalog's policy: a const assertion at the amount, with the budget in
/// bytes (decimal GB, binary MiB) and the kind of image.
#[test]
fn budget_ceilings_are_asserted_against_the_policy() {
    let checks = policy_checks(spark_source("3.5.7", "baseline", quote!(budget 1.5 GB;)));
    assert!(
        checks.contains(&"check_budget_ceiling(::image_dsl::__private::ImageKind::Spark(::image_dsl::SparkVariant::Baseline),1500000000u64)".to_owned()),
        "{checks:#?}"
    );
    let checks = policy_checks(spark_source(
        "4.1.1",
        "gpu-iceberg",
        quote!(budget 954 MiB;),
    ));
    assert!(
        checks.iter().any(|c| c
            .ends_with("ImageKind::Spark(::image_dsl::SparkVariant::GpuIceberg),1000341504u64)")),
        "{checks:#?}"
    );
    // A notebook's ceiling, whatever its variant.
    let checks = policy_checks(quote! {
        image jupyter {
            name "jupyter"; tag "3.5.7"; notebook; spark "3.5.7" variant "gpu";
            budget 3 GB; from debian "bookworm"; user 185:0;
        }
    });
    assert!(
        checks.contains(
            &"check_budget_ceiling(::image_dsl::__private::ImageKind::Notebook,3000000000u64)"
                .to_owned()
        ),
        "{checks:#?}"
    );
}

/// An image that is neither a Spark nor a notebook image has no ceiling, and its expansion needs
/// no `crate::policy`.
#[test]
fn images_without_spark_have_no_ceiling() {
    let big = quote! {
        image big { name "big"; tag "1.0"; budget 5 GB; from debian "bookworm"; user 185:0; }
    };
    assert_none(&violations(big.clone()));
    let code = expand(big).to_string();
    assert!(!code.contains("policy"), "{code}");
}

// --- check_apt_pinned ---------------------------------------------------------------------------

#[test]
fn apt_keys_and_exact_versions_pass() {
    assert_none(&image_with(
        quote! { apt ["tini", "procps=2:4.0.2-3", "g++", "libstdc++6=12.2.0-14"]; },
    ));
}

#[test]
fn apt_ranges_wildcards_and_latest_are_rejected() {
    assert_eq!(
        image_with(quote! { apt ["curl>=7"]; }),
        ["`curl>=7` is a range: pin an exact version (`name=version`)"]
    );
    for item in ["curl=*", "curl=7.*", "curl=latest", "curl="] {
        let v = image_with(quote! { apt [#item]; });
        assert_eq!(
            v,
            [format!(
                "`{item}` is not pinned: write `curl=<exact Debian version>` or pin it in images/pins.toml"
            )]
        );
    }
}

/// The macro once had its own, looser idea of an exact version (anything but `* < > , space` and
/// `latest`), so these passed here while `images/pins.toml` refused them; both now use
/// `image_dsl_pin_rules::exact_version`.
#[test]
fn versions_the_pin_file_refuses_are_refused_inline_too() {
    for item in ["curl=7.88.1$(id)", "curl=7.88.1;id", "curl=7.88.1|x"] {
        assert_eq!(
            image_with(quote! { apt [#item]; }),
            [format!(
                "`{item}` is not pinned: write `curl=<exact Debian version>` or pin it in images/pins.toml"
            )]
        );
    }
    let item = "pandas==2.2.3$(id)";
    assert_eq!(
        image_with(quote! { pip [#item] into "/opt/venv"; }),
        [format!(
            "pip requirement `{item}` is not pinned: use `pandas==<version>`"
        )]
    );
}

#[test]
fn apt_names_must_be_debian_package_names() {
    assert_eq!(
        image_with(quote! { apt ["Curl"]; }),
        [
            "`Curl` is not a Debian package name: lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ]
    );
    assert_eq!(
        image_with(quote! { apt ["Curl=7.88.1-10"]; }),
        [
            "`Curl` is not a Debian package name: lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ]
    );
    assert_eq!(
        image_with(quote! { apt ["-"]; }),
        [
            "`-` is not a Debian package name: lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ]
    );
}

/// An empty key used to make `expand::pin_path` build an empty identifier and panic.
#[test]
fn an_empty_apt_name_is_a_violation_not_a_panic() {
    assert_eq!(
        image_with(quote! { apt [""]; }),
        [
            "`` is not a Debian package name: lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ]
    );
    assert_eq!(
        image_with(quote! { apt ["=1.0"]; }),
        [
            "`` is not a Debian package name: lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ]
    );
}

// --- check_pip_pinned ---------------------------------------------------------------------------

#[test]
fn pip_keys_and_double_equals_pass() {
    assert_none(&image_with(
        quote! { pip ["pandas", "pandas==2.2.3", "jupyter-server"] into "/opt/venv"; },
    ));
}

#[test]
fn pip_anything_but_double_equals_is_rejected() {
    assert_eq!(
        image_with(quote! { pip ["pandas>=2"] into "/opt/venv"; }),
        [
            "pip requirement `pandas>=2` is not pinned: use `pandas==<version>` or its key in images/pins.toml"
        ]
    );
    for (item, name) in [
        ("pandas~=2.2", "pandas"),
        ("pandas!=2.0", "pandas"),
        ("pandas<3", "pandas"),
        ("pandas==2.*", "pandas"),
        ("pandas==latest", "pandas"),
        ("pandas===2.2.3", "pandas"),
        ("pandas=2.2.3", "pandas"),
        ("pandas @ https://example.org/pandas.whl", "pandas"),
    ] {
        let v = image_with(quote! { pip [#item] into "/opt/venv"; });
        assert_one(
            &v,
            &[&format!(
                "pip requirement `{item}` is not pinned: use `{name}==<version>`"
            )],
        );
    }
}

// --- check_artifact_pinned ----------------------------------------------------------------------

#[test]
fn inline_artifact_without_checksum_is_rejected() {
    let v = image_with(quote! {
        artifact { url: "https://example.org/tool-1.0.tgz", version: "1.0" } to "/tmp/tool.tgz";
    });
    assert_eq!(
        v,
        [
            "inline artifact has no checksum: add `sha256: \"<64 hex>\"` or `sha512: \"<128 hex>\"`, or pin it in images/pins.toml"
        ]
    );
}

#[test]
fn inline_artifact_with_sha512_passes() {
    let sha512 = "ab".repeat(64);
    assert_none(&image_with(quote! {
        artifact { url: "https://example.org/tool-1.0.tgz", version: "1.0", sha512: #sha512 } to "/tmp/tool.tgz";
    }));
}

#[test]
fn inline_artifact_fields_are_checked() {
    let sha = "0".repeat(64);
    assert_eq!(
        image_with(quote! { artifact { version: "1.0", sha256: #sha } to "/t"; }),
        ["inline artifact needs `url`"]
    );
    assert_eq!(
        image_with(quote! { artifact { url: "https://e.org/t.tgz", sha256: #sha } to "/t"; }),
        ["inline artifact needs `version`"]
    );
    assert_eq!(
        image_with(
            quote! { artifact { url: "https://e.org/t.tgz", version: "latest", sha256: #sha } to "/t"; }
        ),
        ["pin an exact version"]
    );
    assert_eq!(
        image_with(
            quote! { artifact { url: "https://e.org/latest/t.tgz", version: "1.0", sha256: #sha } to "/t"; }
        ),
        ["URL points at `latest`, which moves: use the versioned URL"]
    );
    assert_eq!(
        image_with(
            quote! { artifact { url: "https://e.org/t.tgz", version: "1.0", sha256: "ABC" } to "/t"; }
        ),
        ["sha256 must be 64 lowercase hex digits"]
    );
    assert_eq!(
        image_with(
            quote! { artifact { url: "https://e.org/t.tgz", version: "1.0", sha512: #sha } to "/t"; }
        ),
        ["sha512 must be 128 lowercase hex digits"]
    );
    assert_eq!(
        image_with(
            quote! { artifact { url: "https://e.org/t.tgz", version: "1.0", sha256: #sha, md5: "x" } to "/t"; }
        ),
        ["unknown artifact field `md5`: url, version, sha256 or sha512"]
    );
}

#[test]
fn artifacts_by_pin_key_are_left_to_the_pin_file() {
    assert_none(&image_with(
        quote! { artifact "pyspark-3.5.7" to "/tmp/pyspark.tar.gz"; },
    ));
}

// --- check_git_pinned ---------------------------------------------------------------------------

#[test]
fn inline_git_needs_a_full_commit() {
    for commit in ["master", "v1.0.0", "3ff8c7e", "HEAD"] {
        let v = image_with(
            quote! { git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: #commit } to "/opt/omz"; },
        );
        assert_eq!(
            v,
            [format!(
                "`{commit}` is not a full commit id: use the 40-hex commit, branches and tags move"
            )]
        );
    }
    let full = "0123456789abcdef0123456789abcdef01234567";
    assert_none(&image_with(
        quote! { git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: #full } to "/opt/omz"; },
    ));
}

#[test]
fn inline_git_needs_repo_and_commit() {
    assert_eq!(
        image_with(
            quote! { git { commit: "0123456789abcdef0123456789abcdef01234567" } to "/opt/x"; }
        ),
        ["inline git source needs `repo`"]
    );
    assert_eq!(
        image_with(quote! { git { repo: "https://github.com/ohmyzsh/ohmyzsh" } to "/opt/x"; }),
        ["inline git source needs `commit: \"<40 hex>\"`"]
    );
}

// --- check_external_base_pinned -----------------------------------------------------------------

fn with_base(base: &str) -> Vec<String> {
    violations(quote! {
        image on_hub { name "on-hub"; tag "1.0"; budget 300 MB; from #base; user 185:0; }
    })
}

#[test]
fn external_bases_need_a_digest() {
    assert_eq!(
        with_base("debian:bookworm"),
        ["`debian:bookworm` is not pinned: append `@sha256:<64 hex digest>`"]
    );
    assert_one(
        &with_base("debian:latest"),
        &["`debian:latest` is not pinned"],
    );
    assert_one(&with_base("debian:bookworm@sha256:abc"), &["is not pinned"]);
    let digest = "b1a741487078b369e78119849663d7f1a5341ef2768798f7b7406c4240f86aef";
    assert_none(&with_base(&format!("debian:bookworm-slim@sha256:{digest}")));
    assert_none(&with_base(&format!(
        "registry.example.org:5000/debian@sha256:{digest}"
    )));
}

#[test]
fn builder_stage_bases_are_checked_too() {
    let v = violations(quote! {
        image built {
            name "built"; tag "1.0"; budget 300 MB;
            stage build from "golang:1.22" { run ["go build"]; }
            from debian "bookworm";
            user 185:0;
        }
    });
    assert_one(&v, &["`golang:1.22` is not pinned"]);
}

#[test]
fn only_bookworm_is_bootstrapped() {
    let v = violations(quote! {
        image testing { name "testing"; tag "1.0"; budget 300 MB; from debian "trixie"; user 185:0; }
    });
    assert_eq!(
        v,
        ["no bootstrap recipe for Debian `trixie`: the supported suite is `bookworm`"]
    );
}

// --- check_no_secrets ---------------------------------------------------------------------------

#[test]
fn secret_looking_names_are_rejected_in_env_arg_and_label() {
    assert_eq!(
        image_with(quote! { env DB_PASSWORD = "x"; }),
        [
            "`DB_PASSWORD` looks like a secret (password) in ENV: it would stay in the image history; pass it at run time"
        ]
    );
    assert_one(
        &image_with(quote! { arg GITHUB_TOKEN = ""; }),
        &["`GITHUB_TOKEN` looks like a secret (token) in ARG"],
    );
    assert_one(
        &image_with(quote! { label "org.example.db-password" = "x"; }),
        &["`org.example.db-password` looks like a secret (password) in LABEL"],
    );
    for name in [
        "AWS_SECRET_ACCESS_KEY",
        "SSH_PRIVATE_KEY",
        "OPENAI_API_KEY",
        "MYSQL_PASSWD",
        "GCP_CREDENTIALS",
    ] {
        let ident = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        let v = image_with(quote! { env #ident = "x"; });
        assert_one(&v, &[&format!("`{name}` looks like a secret")]);
    }
}

#[test]
fn credential_looking_values_are_rejected() {
    assert_eq!(
        image_with(quote! { env EXAMPLE_ID = "AKIAIOSFODNN7EXAMPLE"; }),
        ["this ENV value looks like a credential (`AKIA…`): pass it at run time"]
    );
    for (value, prefix) in [
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "-----BEGIN"),
        ("ghp_0123456789abcdef0123456789abcdef0123", "ghp_"),
        ("xoxb-1234-5678", "xoxb-"),
        ("glpat-abcdef", "glpat-"),
    ] {
        let v = image_with(quote! { label "org.example.note" = #value; });
        assert_eq!(
            v,
            [format!(
                "this LABEL value looks like a credential (`{prefix}…`): pass it at run time"
            )]
        );
    }
}

#[test]
fn ordinary_env_arg_and_labels_pass() {
    assert_none(&image_with(quote! {
        env JAVA_HOME = "/usr/lib/jvm/java-17-openjdk-amd64", SPARK_HOME = "/opt/spark";
        arg SPARK_VERSION = "3.5.7";
        label "org.opencontainers.image.source" = "https://github.com/example/images";
    }));
}

// --- check_supported_combination ----------------------------------------------------------------

/// The supported-combination rule is the catalog's policy: a line check at the version, and
/// per component of the variant a check with the message's start.
#[test]
fn supported_combinations_are_asserted_against_the_policy() {
    let v = r#"::image_dsl::SparkVersion{major:4u16,minor:1u16,patch:0u16}"#;
    assert_eq!(
        policy_checks(spark_source("4.1.0", "baseline", quote!(budget 900 MB;))),
        [
            format!(r#"check_spark_line({v},"4.1.0")"#),
            "check_budget_ceiling(::image_dsl::__private::ImageKind::Spark(::image_dsl::SparkVariant::Baseline),900000000u64)".to_owned(),
        ]
    );
    let checks = policy_checks(spark_source("4.1.0", "gpu", quote!(budget 1.5 GB;)));
    assert_eq!(
        checks[1],
        format!(r#"check_rapids_shim({v},"4.1.0","Spark4.1.0`gpu`isnotasupportedcombination:")"#)
    );
    assert!(
        !checks.iter().any(|c| c.starts_with("check_iceberg")),
        "{checks:#?}"
    );
    let checks = policy_checks(spark_source("4.1.0", "gpu-iceberg", quote!(budget 1.5 GB;)));
    assert_eq!(
        checks[2],
        format!(
            r#"check_iceberg_runtime({v},true,"4.1.0","Spark4.1.0`gpu-iceberg`isnotasupportedcombination:")"#
        )
    );
}

/// In a matrix each cell is checked, and an assertion that several cells share at one token
/// (the version's line check, the shared budget) is emitted once, so it is reported once.
#[test]
fn a_matrix_asserts_each_token_once() {
    let checks = policy_checks(quote! {
        image spark_runtime for spark in ["3.5.4", "4.1.0"], variant in ["baseline", "gpu", "iceberg", "gpu-iceberg"] {
            name "spark";
            tag "{spark}-{variant}";
            spark "{spark}" variant "{variant}";
            if variant in ["baseline"] { budget 900 MB; } else { budget 1.5 GB; }
            from debian "bookworm";
            user 185:0;
        }
    });
    let count = |name: &str| checks.iter().filter(|c| c.starts_with(name)).count();
    assert_eq!(count("check_spark_line"), 2, "{checks:#?}");
    assert_eq!(count("check_rapids_shim"), 4, "{checks:#?}");
    assert_eq!(count("check_iceberg_runtime"), 4, "{checks:#?}");
    // One per kind of image at each of the two budgets.
    assert_eq!(count("check_budget_ceiling"), 4, "{checks:#?}");
}

#[test]
fn unknown_variants_and_versions_are_rejected_before_the_policy() {
    assert_eq!(
        spark_image("3.5.7", "cuda", quote!(budget 900 MB;)),
        ["unknown variant `cuda`: baseline, gpu, iceberg or gpu-iceberg"]
    );
    assert_eq!(
        spark_image("3.5", "baseline", quote!(budget 900 MB;)),
        ["`3.5` is not a Spark version (major.minor.patch)"]
    );
    assert!(policy_checks(spark_source("3.5", "gpu", quote!(budget 900 MB;))).len() == 1);
    assert!(
        policy_checks(spark_source("3.5.7", "cuda", quote!(budget 900 MB;))).is_empty(),
        "no line, combination or ceiling check for an unknown variant"
    );
}

#[test]
fn spark_versions_parse_and_know_their_scala() {
    let v = SparkVersion::parse("3.5.7").unwrap();
    assert_eq!((v.major, v.minor, v.patch), (3, 5, 7));
    assert_eq!(v.to_string(), "3.5.7");
    assert_eq!(v.scala(), "2.12");
    assert_eq!(SparkVersion::parse("4.1.1").unwrap().scala(), "2.13");
    for bad in ["3.5", "3.5.7.1", "3.5.x", "", "v3.5.7"] {
        assert_eq!(SparkVersion::parse(bad), None, "{bad:?}");
    }
    assert!(SparkVersion::parse("3.5.9").unwrap() < SparkVersion::parse("3.5.10").unwrap());
}

// --- check_engine_support -----------------------------------------------------------------------

#[test]
fn copy_chmod_and_link_are_rejected() {
    let copy = |flags: TokenStream| {
        violations(quote! {
            image app {
                name "app"; tag "1.0"; budget 300 MB;
                stage build from debian "bookworm" { run ["make"]; }
                from debian "bookworm";
                copy from build "/out" to "/opt/out" #flags;
                user 185:0;
            }
        })
    };
    assert_one(
        &copy(quote!(chmod 755)),
        &["`chmod` on COPY needs BuildKit"],
    );
    assert_one(
        &copy(quote!(link)),
        &["`link` (COPY --link) needs the dockerfile 1.4 frontend"],
    );
    assert_eq!(copy(quote!(chown 185:0 chmod 755 link)).len(), 2);
    assert_none(&copy(quote!(chown 185:0)));
}

#[test]
fn heredocs_and_embedded_newlines_are_rejected() {
    assert_eq!(
        image_with(quote! { run ["cat <<EOF"]; }),
        ["heredocs need the dockerfile 1.4 frontend (not in Engine 20.10): use a `file` step"]
    );
    assert_eq!(
        image_with(quote! { run ["apt-get update\napt-get clean"]; }),
        ["one command per string: list several strings instead of embedding newlines"]
    );
}

#[test]
fn healthcheck_start_interval_is_rejected() {
    assert_eq!(
        image_with(quote! { healthcheck { cmd: ["true"], start_interval: "1s" }; }),
        [
            "HEALTHCHECK --start-interval needs Docker Engine 25 or later; the target is Engine 20.10"
        ]
    );
}

#[test]
fn healthcheck_values_are_checked() {
    assert_eq!(
        image_with(quote! { healthcheck { cmd: ["true"], interval: "30" }; }),
        [
            "`30` is not a duration Docker takes, such as `30s`, `1m30s` or `500ms` (zero or at least 1ms)"
        ]
    );
    assert_one(
        &image_with(quote! { healthcheck { cmd: ["true"], grace: "5s" }; }),
        &["healthcheck `grace`: expected"],
    );
    assert_one(
        &image_with(quote! { healthcheck { cmd: ["true"], retries: "3" }; }),
        &["healthcheck `retries`: expected"],
    );
    assert_one(
        &image_with(quote! { healthcheck { cmd: [] }; }),
        &["healthcheck `cmd`: expected"],
    );
    assert_eq!(
        image_with(quote! { healthcheck { interval: "30s" }; }),
        ["healthcheck needs `cmd: [\"...\"]`"]
    );
    assert_none(&image_with(
        quote! { healthcheck { cmd: ["true"], interval: "500ms", timeout: "1m", start_period: "1h", retries: 5 }; },
    ));
}

// --- matrices and collection --------------------------------------------------------------------

#[test]
fn an_exclusion_that_matches_no_cell_is_rejected() {
    let v = violations(quote! {
        image spark_runtime
            for spark in ["3.5.7", "4.1.1"], variant in ["baseline", "gpu"]
            except (variant = "gpu"), (spark = "4.1.1", variant = "gpu")
        {
            name "spark"; tag "{spark}-{variant}"; spark "{spark}" variant "{variant}";
            budget 900 MB; from debian "bookworm"; user 185:0;
        }
    });
    assert_eq!(
        v,
        ["every cell this exclusion matches is already excluded by an earlier one: remove it"]
    );
    let v = violations(quote! {
        image m for spark in ["3.5.7"] except (sprak = "3.5.7") {
            name "m"; tag "{spark}"; budget 900 MB; from debian "bookworm"; user 185:0;
        }
    });
    assert!(
        v.contains(&"`sprak` is not an axis of `m`".to_owned()),
        "{v:#?}"
    );
}

#[test]
fn unknown_axes_and_duplicate_values_are_rejected() {
    let v = violations(quote! {
        image m for spark in ["3.5.7", "3.5.8"] {
            name "m-{sprak}"; tag "{spark}"; budget 900 MB; from debian "bookworm"; user 185:0;
        }
    });
    assert_eq!(v, ["`{sprak}` is not an axis of `m`"]);
    let v = violations(quote! {
        image m for spark in ["3.5.7", "3.5.7"] {
            name "m"; tag "{spark}"; budget 900 MB; from debian "bookworm"; user 185:0;
        }
    });
    assert_one(&v, &["`3.5.7` is listed twice in axis `spark`"]);
    let v = violations(quote! {
        image m for spark in ["3.5.7"] {
            name "m"; tag "{spark}"; budget 900 MB; from debian "bookworm";
            if spark in ["9.9.9"] { apt ["tini"]; }
            user 185:0;
        }
    });
    assert_eq!(v, ["`9.9.9` is not a value of axis `spark`"]);
}

#[test]
fn derived_template_values() {
    assert_none(&violations(quote! {
        image m for spark in ["3.5.7", "4.1.1"] {
            name "m"; tag "{spark:minor}-{spark:scala}"; budget 900 MB; from debian "bookworm"; user 185:0;
        }
    }));
    let v = violations(quote! {
        image m for spark in ["3.5.7"] {
            name "m"; tag "{spark:major}"; budget 900 MB; from debian "bookworm"; user 185:0;
        }
    });
    assert!(
        v.contains(&"unknown derived value `:major`: use `:minor` or `:scala`".to_owned()),
        "{v:#?}"
    );
}

#[test]
fn every_violation_of_a_declaration_is_reported_at_once() {
    let v = violations(quote! {
        image careless {
            name "careless";
            tag "latest";
            budget 300 MB;
            from "debian:bookworm";
            apt ["curl=*"];
            pip ["pandas>=2"] into "/opt/venv";
            env API_TOKEN = "x";
            run ["cat <<EOF"];
            user root;
        }
    });
    let expected = [
        "tag `latest` moves",
        "`user root`",
        "`curl=*` is not pinned",
        "pip requirement `pandas>=2` is not pinned",
        "`debian:bookworm` is not pinned",
        "`API_TOKEN` looks like a secret",
        "heredocs need",
    ];
    assert_eq!(v.len(), expected.len(), "{v:#?}");
    for (message, start) in v.iter().zip(expected) {
        assert!(
            message.starts_with(start),
            "{message:?} should start with {start:?}"
        );
    }
}

#[test]
fn every_declaration_of_an_input_is_checked() {
    let v = violations(quote! {
        image a { name "a"; tag "latest"; budget 300 MB; from debian "bookworm"; user 185:0; }
        image b { name "b"; tag "1.0"; budget 300 MB; from debian "bookworm"; user 0:0; }
    });
    assert_eq!(v.len(), 2, "{v:#?}");
    assert!(v[0].starts_with("tag `latest`"));
    assert!(v[1].starts_with("the final stage must not run as root"));
}

#[test]
fn a_syntax_error_is_one_violation() {
    let v = violations(quote! { image broken { name; } });
    assert_eq!(v.len(), 1, "{v:#?}");
    let v = violations(quote! { image broken { frobnicate "x"; } });
    assert_eq!(v.len(), 1, "{v:#?}");
}

// --- every rule on every cell (issue 11) --------------------------------------------------------

#[test]
fn a_matrix_without_cells_is_an_error() {
    let empty_axis = violations(quote! {
        image nothing for spark in [] { name "n"; tag "t"; user 0:0; }
    });
    assert_one(&empty_axis, &["axis `spark` has no values"]);
    let all_excluded = violations(quote! {
        image gone for spark in ["3.5.7"] except (spark = "3.5.7") {
            name "g"; tag "t"; budget 300 MB; from debian "bookworm"; user 0:0;
        }
    });
    assert_one(&all_excluded, &["leave `gone` without any cell"]);
}

#[test]
fn values_that_fold_alike_are_refused_at_the_second() {
    let v = violations(quote! {
        image twins for variant in ["gpu-iceberg", "gpu_iceberg"] {
            name "twins"; tag "{variant}"; budget 300 MB; from debian "bookworm"; user 185:0;
        }
    });
    assert_one(
        &v,
        &["`gpu-iceberg` and `gpu_iceberg` would name the same cell function"],
    );
}

#[test]
fn image_level_statements_are_given_once() {
    let v = image_with(quote! { budget 400 MB; });
    assert_one(&v, &["`budget` is given twice for `app`"]);
}

#[test]
fn a_missing_budget_names_its_cell() {
    let v = violations(quote! {
        image partly for variant in ["baseline", "gpu"] {
            name "p"; tag "{variant}";
            if variant in ["baseline"] { budget 900 MB; }
            from debian "bookworm"; user 185:0;
        }
    });
    assert_one(
        &v,
        &["image `partly` (cell variant = \"gpu\") has no size budget"],
    );
}

#[test]
fn an_overflowing_budget_is_refused() {
    let v = violations(quote! {
        image huge { name "h"; tag "t"; budget 99999999999999999999.0 GB; from debian "bookworm"; user 185:0; }
    });
    assert_one(&v, &["does not fit in 64 bits"]);
}

#[test]
fn violations_keeps_distinct_places_apart_and_merges_cells() {
    // The same message at two tokens is two violations…
    let v = image_with(quote! { env A_TOKEN = "x"; env A_TOKEN = "y"; });
    assert_eq!(v.len(), 2, "{v:#?}");
    // …and one token reported by several matrix cells is one.
    let v = violations(quote! {
        image m for variant in ["a", "b"] {
            name "m"; tag "{variant}"; budget 300 MB; from debian "bookworm";
            env A_TOKEN = "x";
            user 185:0;
        }
    });
    assert_eq!(v.len(), 1, "{v:#?}");
}

#[test]
fn a_syntax_error_leaves_the_other_declarations_expanded() {
    let code = image_dsl_macros_core::expand(quote! {
        image broken { run "not a list"; }
        image good { name "good"; tag "1"; budget 300 MB; from debian "bookworm"; user 185:0; }
    })
    .to_string();
    assert_eq!(code.matches("compile_error").count(), 1, "{code}");
    assert!(code.contains("fn good ()"), "{code}");
    assert!(code.contains("fn broken ()"), "the stub: {code}");
}
