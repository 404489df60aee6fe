//! Compile-time rules: one `check_*` function per rule, run on every cell of every declaration.
//! Each reports at the offending token through [`Ctxt`]; all violations of a compile are reported
//! together, and code is still generated so the IDE keeps working.

use crate::Ctxt;
use crate::ast::{HealthOption, UserSpec};
use crate::cell::{Cell, CellBase, CellHealth, CellPin, CellStep, Sp};
use crate::compat;

/// Run every rule on one cell.
pub fn check(cx: &Ctxt, cell: &Cell<'_>) {
    check_name_and_tag(cx, cell);
    check_final_user(cx, cell);
    check_size_budget(cx, cell);
    check_apt_pinned(cx, cell);
    check_pip_pinned(cx, cell);
    check_artifact_pinned(cx, cell);
    check_git_pinned(cx, cell);
    check_external_base_pinned(cx, cell);
    check_no_secrets(cx, cell);
    check_supported_combination(cx, cell);
    check_engine_support(cx, cell);
}

fn steps<'c, 'a>(cell: &'c Cell<'a>) -> impl Iterator<Item = &'c CellStep<'a>> {
    cell.stages
        .iter()
        .chain(std::iter::once(&cell.last))
        .flat_map(|s| &s.steps)
}

/// Every image has a `name`, a `tag` and a final `from`; the tag is never `latest`, and both are
/// valid Docker references.
///
/// ```text
/// tag "latest";   // error: a moving tag, builds are not reproducible
/// ```
pub fn check_name_and_tag(cx: &Ctxt, cell: &Cell<'_>) {
    let ident = &cell.decl.ident;
    match &cell.name {
        None => cx.error(
            ident.span(),
            format!("image `{ident}` has no `name`: add `name \"...\";`"),
        ),
        Some(name) if !valid_reference_part(&name.value, true) => cx.error(
            name.span,
            format!(
                "`{}` is not a valid image name: lowercase letters, digits, `.`, `_`, `-` and `/`",
                name.value
            ),
        ),
        Some(_) => {}
    }
    match &cell.tag {
        None => cx.error(ident.span(), format!("image `{ident}` has no `tag`: add `tag \"...\";`")),
        Some(tag) if tag.value == "latest" => cx.error(
            tag.span,
            "tag `latest` moves with every build: use a tag that names what is inside (a version or variant)",
        ),
        Some(tag) if !valid_reference_part(&tag.value, false) => cx.error(
            tag.span,
            format!("`{}` is not a valid tag: letters, digits, `.`, `_` and `-`, at most 128", tag.value),
        ),
        Some(_) => {}
    }
    if cell.last.base.is_none() {
        cx.error(
            ident.span(),
            format!("image `{ident}` has no `from`: its own stage needs a base"),
        );
    }
}

fn valid_reference_part(s: &str, name: bool) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars().all(|c| {
            c.is_ascii_digit()
                || c == '.'
                || c == '_'
                || c == '-'
                || (name && (c.is_ascii_lowercase() || c == '/'))
                || (!name && c.is_ascii_alphabetic())
        })
}

/// The final stage runs as a numeric, non-root `uid:gid` (builder stages may run as root).
/// Numeric, because Kubernetes' `runAsNonRoot` can only verify a numeric `USER`.
///
/// ```text
/// user root;   // error: names can't be verified and root is uid 0
/// user 0:0;    // error
/// user 185:0;  // fine: gid 0 lets OpenShift's arbitrary uids write group-owned dirs
/// ```
pub fn check_final_user(cx: &Ctxt, cell: &Cell<'_>) {
    let last_user = cell.last.steps.iter().rev().find_map(|s| match s {
        CellStep::User(u) => Some(*u),
        _ => None,
    });
    match last_user {
        None => cx.error(
            cell.decl.ident.span(),
            format!("image `{}` never sets `user`: the final stage must run as a numeric non-root uid:gid, e.g. `user 185:0;`", cell.decl.ident),
        ),
        Some(UserSpec::Named { name, span }) => cx.error(
            *span,
            format!("`user {name}`: use a numeric non-root uid:gid (e.g. `user 185:0;`) so runAsNonRoot can verify it"),
        ),
        Some(UserSpec::Numeric { uid, .. }) if uid.base10_digits() == "0" => {
            cx.error(uid.span(), "the final stage must not run as root (uid 0): use a non-root uid such as 185")
        }
        Some(UserSpec::Numeric { .. }) => {}
        Some(UserSpec::RootBecause { reason }) if reason.value().trim().len() < 20 => cx.error(
            reason.span(),
            "say why this image must start as root (at least a sentence): the reason is rendered into the Dockerfile for review",
        ),
        Some(UserSpec::RootBecause { .. }) => {}
    }
    for step in steps(cell) {
        if let CellStep::Copy {
            chown: Some(UserSpec::Named { name, span }),
            ..
        } = step
        {
            cx.error(*span, format!("`chown {name}`: use a numeric uid:gid"));
        }
    }
}

/// Every image declares a size budget, within the seed's ceiling for its kind: < 1 GB for a
/// baseline Spark image, < 2 GB with GPU or Iceberg, < 3 GB for a notebook image.
///
/// ```text
/// spark "3.5.7" variant "baseline"; budget 1.5 GB;   // error: over the 1 GB ceiling
/// ```
pub fn check_size_budget(cx: &Ctxt, cell: &Cell<'_>) {
    let Some(budget) = cell.budget else {
        cx.error(
            cell.decl.ident.span(),
            format!(
                "image `{}` has no size budget: add e.g. `budget 600 MB;`",
                cell.decl.ident
            ),
        );
        return;
    };
    let Some(bytes) = crate::budget_bytes(budget) else {
        cx.error(
            budget.unit.span(),
            format!("unknown unit `{}`: use MB, GB, MiB or GiB", budget.unit),
        );
        return;
    };
    if bytes == 0 {
        cx.error(
            budget.amount_span,
            "a budget of zero bytes can never be met",
        );
        return;
    }
    let (ceiling, kind) = match (&cell.spark, cell.notebook) {
        (_, Some(_)) => (3_000_000_000, "a notebook image"),
        (Some((_, variant)), None) if variant.value != "baseline" => {
            (2_000_000_000, "a GPU or Iceberg Spark image")
        }
        (Some(_), None) => (1_000_000_000, "a baseline Spark image"),
        (None, None) => return,
    };
    if bytes >= ceiling {
        cx.error(
            budget.amount_span,
            format!(
                "budget over the seed ceiling for {kind}: it must stay under {} GB",
                ceiling / 1_000_000_000
            ),
        );
    }
}

/// Debian packages are pinned: either a key of the pin file (`"tini"`, whose version lives in
/// `images/pins.toml`) or `name=version` with an exact version. Ranges, `*` and `latest` are not
/// versions.
///
/// ```text
/// apt ["curl=*"];   // error
/// ```
pub fn check_apt_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let CellStep::Apt(items) = step else { continue };
        for item in items {
            let text = &item.value;
            if text.contains(['>', '<']) {
                cx.error(
                    item.span,
                    format!("`{text}` is a range: pin an exact version (`name=version`)"),
                );
                continue;
            }
            if let Some((name, version)) = text.split_once('=') {
                if version.is_empty() || version == "latest" || version.contains('*') {
                    cx.error(
                        item.span,
                        format!("`{text}` is not pinned: write `{name}=<exact Debian version>` or pin it in images/pins.toml"),
                    );
                }
            } else if !is_package_name(text) {
                cx.error(item.span, format!("`{text}` is not a Debian package name"));
            }
        }
    }
}

fn is_package_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

/// pip requirements are pinned with `==` (or by key of the pin file, which records the wheel and its
/// sha256); `>=`, `~=`, `!=`, `<`, wildcards, URLs and `latest` are not pins.
///
/// ```text
/// pip ["pandas>=2"] into "/opt/venv";   // error
/// ```
pub fn check_pip_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let CellStep::Pip(items, _) = step else {
            continue;
        };
        for item in items {
            let text = &item.value;
            let unpinned = ["~=", ">=", "<=", "!=", ">", "<", "@", "*", "==="]
                .iter()
                .any(|op| text.contains(op))
                || text.ends_with("==latest")
                || (text.contains('=') && !text.contains("=="));
            if unpinned {
                let name = text
                    .split(|c: char| "<>=!~@ *".contains(c))
                    .next()
                    .unwrap_or(text);
                cx.error(
                    item.span,
                    format!("pip requirement `{text}` is not pinned: use `{name}==<version>` or its key in images/pins.toml"),
                );
            }
        }
    }
}

/// Downloaded artifacts written inline carry a version and a sha256 or sha512; pinned ones get
/// theirs from `images/pins.toml` (checked by the images crate's build script).
///
/// ```text
/// artifact { url: "https://…/x.tgz", version: "1.0" } to "/tmp/x.tgz";   // error: no checksum
/// ```
pub fn check_artifact_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let CellStep::Artifact(CellPin::Inline(span, fields), _) = step else {
            continue;
        };
        let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v);
        for (key, _) in fields {
            if !["url", "version", "sha256", "sha512"].contains(&key.to_string().as_str()) {
                cx.error(
                    key.span(),
                    format!("unknown artifact field `{key}`: url, version, sha256 or sha512"),
                );
            }
        }
        match get("url") {
            None => cx.error(*span, "inline artifact needs `url`"),
            Some(url) if url.value.contains("latest") => cx.error(
                url.span,
                "URL points at `latest`, which moves: use the versioned URL",
            ),
            Some(_) => {}
        }
        match get("version") {
            None => cx.error(*span, "inline artifact needs `version`"),
            Some(v) if v.value.is_empty() || v.value == "latest" => {
                cx.error(v.span, "pin an exact version")
            }
            Some(_) => {}
        }
        match (get("sha256"), get("sha512")) {
            (None, None) => cx.error(
                *span,
                "inline artifact has no checksum: add `sha256: \"<64 hex>\"` or `sha512: \"<128 hex>\"`, or pin it in images/pins.toml",
            ),
            (Some(h), _) if !is_hex(&h.value, 64) => cx.error(h.span, "sha256 must be 64 lowercase hex digits"),
            (_, Some(h)) if !is_hex(&h.value, 128) => cx.error(h.span, "sha512 must be 128 lowercase hex digits"),
            _ => {}
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// Git sources written inline name a full 40-hex commit, never a branch, tag or short id.
///
/// ```text
/// git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: "master" } to "/opt/omz";   // error
/// ```
pub fn check_git_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let CellStep::Git(CellPin::Inline(span, fields), _) = step else {
            continue;
        };
        if !fields.iter().any(|(k, _)| k == "repo") {
            cx.error(*span, "inline git source needs `repo`");
        }
        match fields.iter().find(|(k, _)| k == "commit") {
            None => cx.error(*span, "inline git source needs `commit: \"<40 hex>\"`"),
            Some((_, c)) if !is_hex(&c.value, 40) => cx.error(
                c.span,
                format!(
                    "`{}` is not a full commit id: use the 40-hex commit, branches and tags move",
                    c.value
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Registry bases are pinned by `@sha256:` digest; a tag alone (let alone `latest`) can change.
///
/// ```text
/// from "debian:bookworm-slim";   // error
/// ```
pub fn check_external_base_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    let bases = cell
        .stages
        .iter()
        .chain(std::iter::once(&cell.last))
        .filter_map(|s| s.base.as_ref());
    for base in bases {
        match base {
            CellBase::External(r) => {
                let digest_ok = r
                    .value
                    .split_once("@sha256:")
                    .is_some_and(|(_, d)| is_hex(d, 64));
                if !digest_ok {
                    cx.error(
                        r.span,
                        format!(
                            "`{}` is not pinned: append `@sha256:<64 hex digest>`",
                            r.value
                        ),
                    );
                }
            }
            CellBase::Debian(suite) if suite.value != "bookworm" => cx.error(
                suite.span,
                format!(
                    "no bootstrap recipe for Debian `{}`: the supported suite is `bookworm`",
                    suite.value
                ),
            ),
            _ => {}
        }
    }
}

/// Names and values that look like secrets never go into ENV, ARG or LABEL: they stay in the image
/// history for anyone who can pull it. Pass secrets at run time.
///
/// ```text
/// env DB_PASSWORD = "hunter2";   // error
/// ```
pub fn check_no_secrets(cx: &Ctxt, cell: &Cell<'_>) {
    const NAMES: &[&str] = &[
        "password",
        "passwd",
        "token",
        "secret",
        "private_key",
        "privatekey",
        "api_key",
        "apikey",
        "credential",
    ];
    const VALUES: &[&str] = &[
        "-----BEGIN",
        "AKIA",
        "ghp_",
        "github_pat_",
        "xoxb-",
        "sk-ant-",
        "glpat-",
    ];
    for step in steps(cell) {
        let (kind, pairs) = match step {
            CellStep::Env(p) => ("ENV", p),
            CellStep::Arg(p) => ("ARG", p),
            CellStep::Label(p) => ("LABEL", p),
            _ => continue,
        };
        for (key, value) in pairs {
            let norm = key.value.to_ascii_lowercase().replace(['-', '.'], "_");
            if let Some(word) = NAMES.iter().find(|w| norm.contains(*w)) {
                cx.error(
                    key.span,
                    format!("`{}` looks like a secret ({word}) in {kind}: it would stay in the image history; pass it at run time", key.value),
                );
            } else if let Some(prefix) = VALUES.iter().find(|p| value.value.contains(*p)) {
                cx.error(value.span, format!("this {kind} value looks like a credential (`{prefix}…`): pass it at run time"));
            }
        }
    }
}

/// Only combinations upstream supports: the RAPIDS Accelerator for the Spark versions on its
/// support list, an Iceberg runtime built for the Spark minor and its Scala version. See
/// [`compat`] for the lists and their sources.
///
/// ```text
/// spark "4.1.1" variant "gpu";   // error when RAPIDS does not list Spark 4.1.1
/// ```
pub fn check_supported_combination(cx: &Ctxt, cell: &Cell<'_>) {
    let Some((version, variant)) = &cell.spark else {
        return;
    };
    let Some(spark) = compat::SparkVersion::parse(&version.value) else {
        cx.error(
            version.span,
            format!(
                "`{}` is not a Spark version (major.minor.patch)",
                version.value
            ),
        );
        return;
    };
    if let Err(why) = compat::spark_supported(spark) {
        cx.error(version.span, why);
        return;
    }
    let (gpu, iceberg) = match variant.value.as_str() {
        "baseline" => (false, false),
        "gpu" => (true, false),
        "iceberg" => (false, true),
        "gpu-iceberg" => (true, true),
        other => {
            cx.error(
                variant.span,
                format!("unknown variant `{other}`: baseline, gpu, iceberg or gpu-iceberg"),
            );
            return;
        }
    };
    let result = compat::supported(spark, gpu, iceberg);
    if let Err(why) = result {
        // Point at the cell's own token: the variant value when the matrix produced it.
        let span = cell.axis_span_of(variant).unwrap_or(variant.span);
        cx.error(
            span,
            format!(
                "Spark {spark} `{}` is not a supported combination: {why}",
                variant.value
            ),
        );
    }
}

/// Nothing Docker Engine 20.10 cannot build: its classic builder has no `COPY --chmod`, no
/// `COPY --link`, no heredocs, and `HEALTHCHECK --start-interval` only exists since Engine 25.
///
/// ```text
/// copy from build "/opt/app" to "/opt/app" chmod 755;   // error
/// ```
pub fn check_engine_support(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        match step {
            CellStep::Copy { chmod, link, .. } => {
                if let Some(span) = chmod {
                    cx.error(*span, "`chmod` on COPY needs BuildKit, which Docker Engine 20.10's classic builder lacks: set modes in a builder stage");
                }
                if let Some(span) = link {
                    cx.error(*span, "`link` (COPY --link) needs the dockerfile 1.4 frontend, which Docker Engine 20.10 cannot pull here");
                }
            }
            CellStep::Run(cmds) => {
                for cmd in cmds {
                    if cmd.value.contains("<<") {
                        cx.error(cmd.span, "heredocs need the dockerfile 1.4 frontend (not in Engine 20.10): use a `file` step");
                    }
                    if cmd.value.contains('\n') {
                        cx.error(cmd.span, "one command per string: list several strings instead of embedding newlines");
                    }
                }
            }
            CellStep::Healthcheck(opts, values) => check_healthcheck(cx, opts, values),
            _ => {}
        }
    }
}

fn check_healthcheck(cx: &Ctxt, opts: &[HealthOption], values: &[(String, CellHealth)]) {
    for (opt, (key, value)) in opts.iter().zip(values) {
        match (key.as_str(), value) {
            ("start_interval", _) => cx.error(
                opt.key.span(),
                "HEALTHCHECK --start-interval needs Docker Engine 25 or later; the target is Engine 20.10",
            ),
            ("cmd", CellHealth::List(l)) if !l.is_empty() => {}
            ("interval" | "timeout" | "start_period", CellHealth::Str(s)) if is_duration(&s.value) => {}
            ("interval" | "timeout" | "start_period", CellHealth::Str(s)) => {
                cx.error(s.span, format!("`{}` is not a duration such as `30s` or `1m`", s.value))
            }
            ("retries", CellHealth::Int(_)) => {}
            _ => cx.error(
                opt.key.span(),
                format!("healthcheck `{key}`: expected cmd: [..], interval/timeout/start_period: \"30s\", retries: 3"),
            ),
        }
    }
    if !values.iter().any(|(k, _)| k == "cmd") {
        if let Some(first) = opts.first() {
            cx.error(first.key.span(), "healthcheck needs `cmd: [\"...\"]`");
        }
    }
}

fn is_duration(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && ["ms", "s", "m", "h"].contains(&unit)
}

impl Cell<'_> {
    /// The span of the axis value token a concrete value came from, when it came from one.
    fn axis_span_of(&self, value: &Sp<String>) -> Option<proc_macro2::Span> {
        self.values
            .iter()
            .find(|(_, v)| v.value == value.value)
            .map(|(_, v)| v.span)
    }
}
