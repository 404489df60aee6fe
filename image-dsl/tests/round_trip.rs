//! Render cannot be steered by data. For any declaration `image!` accepts (its rules, as
//! `image_dsl_macros_core::violations` runs them), the rendered Dockerfile parses with BuildKit's
//! grammar (parse-dockerfile) back to exactly the model's instructions, final `USER` included.
//!
//! Declarations are generated with hostile strings in every field that reaches the Dockerfile
//! (newlines, backslashes, quotes, `$`, `#`, control and non-ASCII characters). The model each
//! accepted declaration stands for is built here as `expand.rs` builds it: its strings verbatim.
//!
//! CI runs `PROPTEST_CASES` cases (default 2000, a few seconds); run longer locally with e.g.
//! `PROPTEST_CASES=200000 cargo test -p image-dsl --release --test round_trip`.

use image_dsl::{
    ArtifactPin, Base, Checksum, ContextFile, Copy, CopySource, DebianSuite, GitPin, Healthcheck,
    Image, PipPin, Port, Protocol, SizeBudget, Source, Stage, Step, User, render,
};
use parse_dockerfile::{Command, HealthcheckArguments, Instruction, JsonOrStringArray};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A step as the generator writes it; each becomes `image!` syntax and a model step.
#[derive(Debug, Clone)]
enum Gen {
    Run(Vec<String>),
    Env(Vec<(String, String)>),
    Arg(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    Workdir(String),
    User(u32, u32),
    RootBecause(String),
    Copy(Vec<String>, String, Option<(u32, u32)>),
    File(String),
    Artifact(String, String),
    Git(String, String),
    Pip(String),
    Expose(Vec<u16>),
    Volume(Vec<String>),
    Entrypoint(Vec<String>),
    Cmd(Vec<String>),
    Healthcheck(Vec<String>, String),
}

#[derive(Debug, Clone)]
struct Decl {
    doc: String,
    name: String,
    tag: String,
    stage: Option<(String, Vec<Gen>)>,
    steps: Vec<Gen>,
}

static WHEEL: PipPin = PipPin {
    name: "wheel-pin",
    version: "1.0",
    wheel: "wheel_pin-1.0-py3-none-any.whl",
    url: "https://example.org/wheel_pin-1.0-py3-none-any.whl",
    sha256: "0000000000000000000000000000000000000000000000000000000000000000",
    requires: &[],
};
const SHA256: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

// --- generation ---------------------------------------------------------------------------------

/// Mostly plain text, often hostile characters, sometimes anything at all.
fn text() -> impl Strategy<Value = String> {
    let hostile = prop_oneof![
        Just('\n'),
        Just('\r'),
        Just('\\'),
        Just('"'),
        Just('\''),
        Just('$'),
        Just('{'),
        Just('}'),
        Just(' '),
        Just('#'),
        Just('\t'),
        Just('='),
        Just('/'),
        Just(';'),
        Just('`'),
        Just('<'),
        Just('-'),
        Just('é'),
        Just('\u{2028}'),
        Just('\0'),
        proptest::char::range('a', 'z'),
    ];
    prop_oneof![
        24 => "[a-z0-9._-]{1,10}",
        4 => prop::collection::vec(hostile, 0..10).prop_map(String::from_iter),
        // Printable but special in a Dockerfile: accepted in quoted and JSON values.
        4 => r#"[a-z\\"'$#{} =/;`é]{1,10}"#,
        1 => any::<String>(),
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![3 => text().prop_map(|t| format!("/{t}")), 1 => text()]
}

fn list<S: Strategy>(s: S, max: usize) -> impl Strategy<Value = Vec<S::Value>> {
    prop::collection::vec(s, 1..=max)
}

fn env_key() -> impl Strategy<Value = String> {
    "[A-Z][A-Z0-9_]{0,8}"
}

fn step() -> impl Strategy<Value = Gen> {
    prop_oneof![
        3 => list(text(), 3).prop_map(Gen::Run),
        2 => list((env_key(), text()), 3).prop_map(Gen::Env),
        1 => list((env_key(), text()), 2).prop_map(Gen::Arg),
        2 => list((prop_oneof![3 => "[a-z][a-z.]{0,8}", 1 => text()], text()), 3).prop_map(Gen::Label),
        2 => path().prop_map(Gen::Workdir),
        2 => (prop_oneof![Just(0u32), Just(185), 1u32..70000], 0u32..3).prop_map(|(u, g)| Gen::User(u, g)),
        1 => text().prop_map(|t| Gen::RootBecause(format!("a long enough reason to run as root: {t}"))),
        2 => (list(path(), 2), path(), proptest::option::of((1u32..2000, 0u32..2)))
            .prop_map(|(s, d, c)| Gen::Copy(s, d, c)),
        1 => path().prop_map(Gen::File),
        1 => (text(), path()).prop_map(|(f, d)| Gen::Artifact(f, d)),
        1 => (text(), path()).prop_map(|(r, d)| Gen::Git(r, d)),
        1 => path().prop_map(Gen::Pip),
        1 => list(1u16..=65535, 3).prop_map(Gen::Expose),
        1 => list(path(), 2).prop_map(Gen::Volume),
        1 => list(text(), 3).prop_map(Gen::Entrypoint),
        1 => list(text(), 3).prop_map(Gen::Cmd),
        1 => (list(text(), 2), prop_oneof![4 => Just("30s".to_owned()), 1 => text()])
            .prop_map(|(c, i)| Gen::Healthcheck(c, i)),
    ]
}

fn decl() -> impl Strategy<Value = Decl> {
    let stage = proptest::option::of((
        prop_oneof![4 => "[a-z][a-z0-9_]{0,6}", 1 => "[A-Za-z_][A-Za-z0-9_]{0,6}"],
        prop::collection::vec(step(), 0..4),
    ));
    let final_user = prop_oneof![
        8 => Just(Gen::User(185, 0)),
        1 => Just(Gen::User(0, 0)),
        1 => text().prop_map(|t| Gen::RootBecause(format!("sshd must start as root: {t}"))),
    ];
    (
        text(),
        prop_oneof![9 => "[a-z][a-z0-9]{0,4}(-[a-z0-9]{1,4})?", 1 => text()],
        prop_oneof![9 => "[a-z0-9][a-z0-9.-]{0,8}", 1 => text()],
        stage,
        prop::collection::vec(step(), 0..8),
        final_user,
    )
        .prop_map(|(doc, name, tag, mut stage, mut steps, user)| {
            // `copy from STAGE` needs an earlier stage.
            if let Some((_, steps)) = &mut stage {
                steps.retain(|s| !matches!(s, Gen::Copy(..)));
            } else {
                steps.retain(|s| !matches!(s, Gen::Copy(..)));
            }
            steps.push(user);
            Decl {
                doc,
                name,
                tag,
                stage,
                steps,
            }
        })
}

// --- the declaration as `image!` input ----------------------------------------------------------

fn lit(s: &str) -> String {
    format!("{s:?}")
}

fn lits(list: &[String]) -> String {
    let items: Vec<String> = list.iter().map(|s| lit(s)).collect();
    format!("[{}]", items.join(", "))
}

fn source(d: &Decl) -> String {
    let mut out = format!(
        "#[doc = {}]\nimage generated {{\n name {}; tag {}; budget 300 MB;\n",
        lit(&d.doc),
        lit(&d.name),
        lit(&d.tag)
    );
    if let Some((name, steps)) = &d.stage {
        out += &format!(" stage {name} from debian \"bookworm\" {{\n");
        steps.iter().for_each(|s| out += &syntax(s, ""));
        out += " }\n";
    }
    out += " from debian \"bookworm\";\n";
    let stage = d.stage.as_ref().map_or("", |(n, _)| n.as_str());
    d.steps.iter().for_each(|s| out += &syntax(s, stage));
    out + "}\n"
}

fn syntax(step: &Gen, stage: &str) -> String {
    let pairs = |p: &[(String, String)], key: &dyn Fn(&str) -> String| {
        let p: Vec<String> = p
            .iter()
            .map(|(k, v)| format!("{} = {}", key(k), lit(v)))
            .collect();
        p.join(", ")
    };
    let line = match step {
        Gen::Run(c) => format!("run {}", lits(c)),
        Gen::Env(p) => format!("env {}", pairs(p, &|k| k.to_owned())),
        Gen::Arg(p) => format!("arg {}", pairs(p, &|k| k.to_owned())),
        Gen::Label(p) => format!("label {}", pairs(p, &lit)),
        Gen::Workdir(w) => format!("workdir {}", lit(w)),
        Gen::User(u, g) => format!("user {u}:{g}"),
        Gen::RootBecause(r) => format!("user root because {}", lit(r)),
        Gen::Copy(s, d, chown) => {
            let chown = chown.map_or(String::new(), |(u, g)| format!(" chown {u}:{g}"));
            format!("copy from {stage} {} to {}{chown}", lits(s), lit(d))
        }
        Gen::File(d) => format!("file {} = include \"x.txt\"", lit(d)),
        Gen::Artifact(f, d) => format!(
            "artifact {{ url: {}, version: \"1.0\", sha256: {} }} to {}",
            lit(&format!("https://example.org/{f}")),
            lit(SHA256),
            lit(d)
        ),
        Gen::Git(r, d) => format!(
            "git {{ repo: {}, commit: {} }} to {}",
            lit(&format!("https://example.org/{r}")),
            lit(COMMIT),
            lit(d)
        ),
        Gen::Pip(v) => format!("pip [\"wheel-pin\"] into {}", lit(v)),
        Gen::Expose(p) => {
            let p: Vec<String> = p.iter().map(ToString::to_string).collect();
            format!("expose {}", p.join(", "))
        }
        Gen::Volume(v) => format!("volume {}", lits(v)),
        Gen::Entrypoint(v) => format!("entrypoint {}", lits(v)),
        Gen::Cmd(v) => format!("cmd {}", lits(v)),
        Gen::Healthcheck(c, i) => format!(
            "healthcheck {{ cmd: {}, interval: {}, start_period: \"10s\" }}",
            lits(c),
            lit(i)
        ),
    };
    format!("  {line};\n")
}

// --- the model, as expand.rs builds it ----------------------------------------------------------

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn last_segment(url: &str) -> String {
    url.rsplit('/').next().unwrap_or_default().to_owned()
}

fn model_step(step: &Gen, stage: &str) -> Step {
    match step.clone() {
        Gen::Run(c) => Step::Run(c),
        Gen::Env(p) => Step::Env(p),
        Gen::Arg(p) => Step::Arg(p),
        Gen::Label(p) => Step::Label(p),
        Gen::Workdir(w) => Step::Workdir(w),
        Gen::User(uid, gid) => Step::User(User { uid, gid }),
        Gen::RootBecause(r) => Step::RootBecause(r),
        Gen::Copy(src, dest, chown) => Step::Copy(Copy {
            from: CopySource::Stage(stage.to_owned()),
            src,
            dest,
            chown: chown.map(|(uid, gid)| User { uid, gid }),
        }),
        Gen::File(dest) => Step::File(ContextFile {
            dest,
            contents: "",
            mode: 0o644,
        }),
        Gen::Artifact(f, dest) => {
            let url = format!("https://example.org/{f}");
            Step::Artifact {
                pin: ArtifactPin {
                    key: leak(last_segment(&url)),
                    version: "1.0",
                    source: Source::Url(leak(url)),
                    checksum: Checksum::Sha256(SHA256),
                },
                dest,
            }
        }
        Gen::Git(r, dest) => {
            let repo = format!("https://example.org/{r}");
            Step::Git {
                pin: GitPin {
                    key: leak(last_segment(&repo)),
                    repo: leak(repo),
                    commit: COMMIT,
                },
                dest,
            }
        }
        Gen::Pip(venv) => Step::Pip {
            pins: vec![&WHEEL],
            venv,
        },
        Gen::Expose(p) => Step::Expose(
            p.into_iter()
                .map(|number| Port {
                    number,
                    protocol: Protocol::Tcp,
                })
                .collect(),
        ),
        Gen::Volume(v) => Step::Volume(v),
        Gen::Entrypoint(v) => Step::Entrypoint(v),
        Gen::Cmd(v) => Step::Cmd(v),
        Gen::Healthcheck(cmd, interval) => Step::Healthcheck(Healthcheck {
            cmd,
            interval,
            timeout: "5s".to_owned(),
            start_period: "10s".to_owned(),
            retries: 3,
        }),
    }
}

/// The description as the macro makes it: doc lines trimmed and joined, control characters
/// as spaces.
fn description(doc: &str) -> String {
    let lines: Vec<&str> = doc.lines().map(str::trim).collect();
    lines
        .join(" ")
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn model(d: &Decl) -> Image {
    let stage_name = d.stage.as_ref().map_or("", |(n, _)| n.as_str());
    let mut stages = Vec::new();
    if let Some((name, steps)) = &d.stage {
        stages.push(Stage {
            name: Some(name.clone()),
            base: Base::Debian(DebianSuite::Bookworm),
            steps: steps.iter().map(|s| model_step(s, "")).collect(),
        });
    }
    stages.push(Stage {
        name: None,
        base: Base::Debian(DebianSuite::Bookworm),
        steps: d.steps.iter().map(|s| model_step(s, stage_name)).collect(),
    });
    Image {
        name: d.name.clone(),
        tag: d.tag.clone(),
        description: description(&d.doc),
        source: "images/src/generated.rs",
        budget: SizeBudget(300_000_000),
        spark: None,
        stages,
    }
}

// --- what the Dockerfile must hold --------------------------------------------------------------

/// One Dockerfile instruction with its arguments decoded.
#[derive(Debug, PartialEq)]
enum Instr {
    From(String, Option<String>),
    Shell,
    Run(Vec<String>),
    Env(Vec<(String, String)>),
    Arg(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    Workdir(String),
    User(String),
    Copy(Vec<String>, Vec<String>, String),
    Expose(Vec<String>),
    Volume(Vec<String>),
    Entrypoint(Vec<String>),
    Cmd(Vec<String>),
    Healthcheck(Vec<String>, Vec<String>),
}

/// Separator of the commands one `RUN` joins.
const RUN_SEPARATOR: &str = "; \\\n    ";

fn push_run(out: &mut Vec<Instr>, cmds: Vec<String>) {
    if let Some(Instr::Run(prev)) = out.last_mut() {
        prev.extend(cmds);
    } else {
        out.push(Instr::Run(cmds));
    }
}

/// The instructions the model stands for: each stage's `FROM` and `SHELL`, then one instruction
/// per step (consecutive commands share one `RUN`), then the final stage's OCI labels.
fn expected(image: &Image) -> Vec<Instr> {
    let mut out = Vec::new();
    let mut pip = 0;
    let copy = |src: String, dest: String| Instr::Copy(Vec::new(), vec![src], dest);
    for stage in &image.stages {
        out.push(Instr::From(
            DebianSuite::Bookworm.image_reference(),
            stage.name.clone(),
        ));
        out.push(Instr::Shell);
        for step in &stage.steps {
            let instr = match step {
                Step::Run(c) => {
                    push_run(&mut out, c.clone());
                    continue;
                }
                Step::Pip { venv, .. } => {
                    pip += 1;
                    out.push(copy("wheels/".into(), "/tmp/wheels/".into()));
                    push_run(
                        &mut out,
                        vec![
                            format!("python3 -m venv {venv}"),
                            format!(
                                "{venv}/bin/pip install --no-cache-dir --no-index --no-deps --require-hashes --find-links /tmp/wheels -r /tmp/wheels/requirements-{pip}.txt"
                            ),
                            "rm -rf /tmp/wheels".into(),
                        ],
                    );
                    continue;
                }
                Step::Env(p) => Instr::Env(p.clone()),
                Step::Arg(p) => {
                    for pair in p {
                        out.push(Instr::Arg(vec![pair.clone()]));
                    }
                    continue;
                }
                Step::Label(p) => Instr::Label(p.clone()),
                Step::Workdir(w) => Instr::Workdir(w.clone()),
                Step::User(u) => Instr::User(u.to_string()),
                Step::RootBecause(_) => Instr::User("0:0".into()),
                Step::Copy(c) => {
                    let CopySource::Stage(from) = &c.from else {
                        unreachable!("only stages are generated")
                    };
                    let mut flags = vec![format!("--from={from}")];
                    flags.extend(c.chown.map(|u| format!("--chown={u}")));
                    Instr::Copy(flags, c.src.clone(), c.dest.clone())
                }
                Step::File(f) => copy(format!("files{}", f.dest), f.dest.clone()),
                Step::Artifact { pin, dest } => {
                    copy(format!("artifacts/{}", pin.file_name()), dest.clone())
                }
                Step::Git { pin, dest } => copy(format!("git/{}/", pin.key), format!("{dest}/")),
                Step::Expose(p) => {
                    Instr::Expose(p.iter().map(|p| format!("{}/tcp", p.number)).collect())
                }
                Step::Volume(v) => Instr::Volume(v.clone()),
                Step::Entrypoint(v) => Instr::Entrypoint(v.clone()),
                Step::Cmd(v) => Instr::Cmd(v.clone()),
                Step::Healthcheck(h) => Instr::Healthcheck(
                    vec![
                        format!("--interval={}", h.interval),
                        format!("--timeout={}", h.timeout),
                        format!("--start-period={}", h.start_period),
                        format!("--retries={}", h.retries),
                    ],
                    h.cmd.clone(),
                ),
                Step::Apt(_) => unreachable!("apt steps are not generated"),
            };
            out.push(instr);
        }
        if stage.name.is_none() {
            out.push(Instr::Label(vec![
                ("org.opencontainers.image.title".into(), image.name.clone()),
                ("org.opencontainers.image.version".into(), image.tag.clone()),
                (
                    "org.opencontainers.image.description".into(),
                    image.description.clone(),
                ),
                ("org.image-dsl.budget-bytes".into(), "300000000".into()),
            ]));
        }
    }
    out
}

/// `k="v"` pairs as the renderer writes them (continuation lines already joined by the parser).
fn quoted_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if chars.next() != Some('=') || chars.next() != Some('"') {
            return Err(format!("not key=\"value\": {text:?}"));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some(c @ ('\\' | '"')) => value.push(c),
                    Some(c) => {
                        value.push('\\');
                        value.push(c);
                    }
                    None => return Err(format!("dangling escape: {text:?}")),
                },
                Some(c) => value.push(c),
                None => return Err(format!("unterminated value: {text:?}")),
            }
        }
        out.push((key, value));
    }
}

fn strings(list: &[parse_dockerfile::UnescapedString<'_>]) -> Vec<String> {
    list.iter().map(|s| s.value.to_string()).collect()
}

fn exec(cmd: &Command<'_>) -> Result<Vec<String>, String> {
    match cmd {
        Command::Exec(list) => Ok(strings(&list.value[..])),
        Command::Shell(s) => Err(format!(
            "shell form where exec form was written: {:?}",
            s.value
        )),
        _ => Err("an unknown command form".to_owned()),
    }
}

/// The parsed Dockerfile, decoded.
fn observed(dockerfile: &str) -> Result<Vec<Instr>, String> {
    let parsed = parse_dockerfile::parse(dockerfile).map_err(|e| e.to_string())?;
    let flags = |f: &[parse_dockerfile::Flag<'_>]| -> Vec<String> {
        f.iter()
            .map(|f| match &f.value {
                Some(v) => format!("--{}={}", f.name.value, v.value),
                None => format!("--{}", f.name.value),
            })
            .collect()
    };
    parsed
        .instructions
        .iter()
        .map(|i| {
            Ok(match i {
                Instruction::From(f) => Instr::From(
                    f.image.value.to_string(),
                    f.as_.as_ref().map(|(_, n)| n.value.to_string()),
                ),
                Instruction::Shell(_) => Instr::Shell,
                Instruction::Run(r) => match &r.arguments {
                    Command::Shell(s) => {
                        Instr::Run(s.value.split(RUN_SEPARATOR).map(str::to_owned).collect())
                    }
                    _ => return Err("RUN not in shell form".to_owned()),
                },
                Instruction::Env(e) => Instr::Env(quoted_pairs(&e.arguments.value)?),
                Instruction::Arg(a) => Instr::Arg(quoted_pairs(&a.arguments.value)?),
                Instruction::Label(l) => Instr::Label(quoted_pairs(&l.arguments.value)?),
                Instruction::Workdir(w) => Instr::Workdir(w.arguments.value.to_string()),
                Instruction::User(u) => Instr::User(u.arguments.value.to_string()),
                Instruction::Copy(c) => {
                    let src = c
                        .src
                        .iter()
                        .map(|s| match s {
                            parse_dockerfile::Source::Path(p) => Ok(p.value.to_string()),
                            _ => Err("a here-document source".to_owned()),
                        })
                        .collect::<Result<_, _>>()?;
                    Instr::Copy(flags(&c.options), src, c.dest.value.to_string())
                }
                Instruction::Expose(e) => Instr::Expose(strings(&e.arguments[..])),
                Instruction::Volume(v) => match &v.arguments {
                    JsonOrStringArray::Json(list) => Instr::Volume(strings(&list.value[..])),
                    JsonOrStringArray::String(_) => return Err("VOLUME not in JSON form".into()),
                },
                Instruction::Entrypoint(e) => Instr::Entrypoint(exec(&e.arguments)?),
                Instruction::Cmd(c) => Instr::Cmd(exec(&c.arguments)?),
                Instruction::Healthcheck(h) => match &h.arguments {
                    HealthcheckArguments::Cmd { arguments, .. } => {
                        Instr::Healthcheck(flags(&h.options), exec(arguments)?)
                    }
                    _ => return Err("HEALTHCHECK NONE".into()),
                },
                other => {
                    return Err(format!(
                        "an instruction the model has no step for: {other:?}"
                    ));
                }
            })
        })
        .collect()
}

// --- the property -------------------------------------------------------------------------------

/// Whether `image!` accepts the declaration; if it does, its Dockerfile must round-trip.
fn accepted_and_round_trips(d: &Decl) -> Result<bool, TestCaseError> {
    let tokens: proc_macro2::TokenStream = match source(d).parse() {
        Ok(t) => t,
        // Not Rust tokens (e.g. a generated stage name that is a keyword): rustc refuses it.
        Err(_) => return Ok(false),
    };
    if !image_dsl_macros_core::violations(tokens).is_empty() {
        return Ok(false);
    }
    let image = model(d);
    let rendered = render(&image);
    let observed = observed(&rendered.dockerfile).map_err(|e| {
        TestCaseError::fail(format!("{e}\n--- Dockerfile ---\n{}", rendered.dockerfile))
    })?;
    prop_assert_eq!(
        observed,
        expected(&image),
        "\n--- declaration ---\n{}\n--- Dockerfile ---\n{}",
        source(d),
        rendered.dockerfile
    );
    image_dsl::verify::round_trip(&image, &rendered)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(true)
}

#[test]
fn every_accepted_declaration_renders_a_dockerfile_that_parses_back_to_its_model() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (accepted, rejected) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let started = std::time::Instant::now();
    let result = runner.run(&decl(), |d| {
        let counter = if accepted_and_round_trips(&d)? {
            &accepted
        } else {
            &rejected
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (accepted, rejected) = (accepted.into_inner(), rejected.into_inner());
    eprintln!(
        "{accepted} accepted and {rejected} rejected declarations in {:.1?}",
        started.elapsed()
    );
    // Both sides must be exercised, or the property proves nothing.
    assert!(
        accepted * 10 >= cases as usize,
        "only {accepted} of {cases} accepted"
    );
    assert!(
        rejected * 10 >= cases as usize,
        "only {rejected} of {cases} rejected"
    );
}

#[test]
fn the_generator_writes_the_model_the_macro_would_make() {
    let d = Decl {
        doc: " Spark\n  runtime ".into(),
        name: "app".into(),
        tag: "1.0".into(),
        stage: Some(("build".into(), vec![Gen::Run(vec!["make".into()])])),
        steps: vec![
            Gen::Env(vec![("PATH".into(), "/opt/venv/bin:$PATH".into())]),
            Gen::Label(vec![("a.b".into(), "say \"hi\" \\o/".into())]),
            Gen::Copy(vec!["/out".into()], "/opt/out".into(), Some((185, 0))),
            Gen::User(185, 0),
        ],
    };
    assert!(matches!(accepted_and_round_trips(&d), Ok(true)), "{d:?}");
    assert_eq!(model(&d).description, "Spark runtime");
    assert_eq!(model(&d).user(), Some(User { uid: 185, gid: 0 }));
}
