//! No input makes the macro panic: arbitrary token streams (the grammar's keywords, idents,
//! literals with any text, punctuation and groups, in any order) and declarations with arbitrary
//! strings in every literal go through `expand` and `violations` and come back as code or errors.
//!
//! CI runs `PROPTEST_CASES` cases per property (default 2000); raise it for a long local run.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const WORDS: &[&str] = &[
    "image",
    "pub",
    "for",
    "in",
    "except",
    "name",
    "tag",
    "budget",
    "spark",
    "variant",
    "notebook",
    "stage",
    "from",
    "apt",
    "pip",
    "into",
    "artifact",
    "git",
    "to",
    "run",
    "copy",
    "chown",
    "chmod",
    "link",
    "file",
    "include",
    "mode",
    "env",
    "arg",
    "label",
    "workdir",
    "user",
    "root",
    "because",
    "expose",
    "volume",
    "entrypoint",
    "cmd",
    "healthcheck",
    "debian",
    "scratch",
    "if",
    "else",
    "MB",
    "GB",
    "x",
    "spark_core",
    "interval",
    "retries",
];
const PUNCT: &[&str] = &[
    ";", ",", ":", "=", "#", "::", "(", ")", "[", "]", "{", "}", ".",
];

fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        3 => proptest::sample::select(PUNCT).prop_map(str::to_owned),
        3 => any::<String>().prop_map(|s| format!("{s:?}")),
        1 => "[{}a-z:$\\\\é<>-]{0,8}".prop_map(|s| format!("{s:?}")),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => "[0-9]{1,30}(\\.[0-9]{1,5})?(u8|u64|i32)?".prop_map(|s| s),
        1 => "0o[0-9]{1,6}".prop_map(|s| s),
    ]
}

/// A valid declaration with every string literal replaced by arbitrary text.
fn declaration() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<String>(), 12).prop_map(|s| {
        let q: Vec<String> = s.iter().map(|s| format!("{s:?}")).collect();
        format!(
            r#"image a for v in [{0}, {1}] except (v = {1}) {{
                name {2}; tag {3}; budget 1 GB; spark {4} variant {5};
                stage b from {6} {{ run [{7}]; }}
                from x(v, {8});
                copy from b [{9}] to {10};
                healthcheck {{ cmd: ["true"], interval: {11} }};
                if v in [{0}] {{ user 185:0; }} else {{ user root because {11}; }}
            }}"#,
            q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11]
        )
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

/// Runs both entry points; a panic fails the property (proptest catches it and shrinks).
fn run(text: &str) {
    if let Ok(tokens) = text.parse::<proc_macro2::TokenStream>() {
        image_dsl_macros_core::expand(tokens.clone());
        image_dsl_macros_core::violations(tokens);
    }
}

#[test]
fn arbitrary_token_streams_do_not_panic() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let streams = proptest::collection::vec(token(), 0..60).prop_map(|t| t.join(" "));
    runner
        .run(&streams, |text| {
            run(&format!("image a {{ {text} }}"));
            run(&text);
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_strings_in_a_declaration_do_not_panic() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let parsed = std::cell::Cell::new(0u32);
    runner
        .run(&declaration(), |text| {
            let tokens: proc_macro2::TokenStream = text.parse().expect("string literals lex");
            parsed.set(parsed.get() + 1);
            image_dsl_macros_core::expand(tokens.clone());
            image_dsl_macros_core::violations(tokens);
            Ok(())
        })
        .unwrap();
    assert_eq!(parsed.get(), cases(), "every declaration lexes");
}
