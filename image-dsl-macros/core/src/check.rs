//! Compile-time rules: one `check_*` function per rule, run on every cell of every declaration.
//! Each reports at the offending token through [`Ctxt`]; all violations of a compile are reported
//! together, and code is still generated so the IDE keeps working.

use crate::Ctxt;
use crate::ast::{HealthOption, UserSpec};
use crate::cell::{Cell, CellBase, CellCopy, CellFile, CellHealth, CellPin, CellStep, Sp};
use image_dsl_pin_rules::is_hex;
use image_dsl_spark::{SparkVariant, SparkVersion};
use image_dsl_step::Step;

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
    check_dockerfile_text(cx, cell);
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
            format!("image {} has no `name`: add `name \"...\";`", cell.label()),
        ),
        Some(name) if !unfilled(&name.value) && !valid_name(&name.value) => cx.error(
            name.span,
            format!(
                "`{}` is not a valid image name: `/`-separated lowercase letters and digits, joined by `.`, `_`, `__` or `-`",
                name.value
            ),
        ),
        Some(_) => {}
    }
    match &cell.tag {
        None => cx.error(ident.span(), format!("image {} has no `tag`: add `tag \"...\";`", cell.label())),
        Some(tag) if tag.value == "latest" => cx.error(
            tag.span,
            "tag `latest` moves with every build: use a tag that names what is inside (a version or variant)",
        ),
        Some(tag) if !unfilled(&tag.value) && !valid_tag(&tag.value) => cx.error(
            tag.span,
            format!("`{}` is not a valid tag: a letter, digit or `_`, then letters, digits, `_`, `.` or `-`, at most 128", tag.value),
        ),
        Some(_) => {}
    }
    if cell.last.base.is_none() {
        cx.error(
            ident.span(),
            format!(
                "image {} has no `from`: its own stage needs a base",
                cell.label()
            ),
        );
    }
}

/// Whether a filled template still holds a `{placeholder}`: filling it failed, which was reported
/// at the template, so the reference rules would only repeat that error. Any other brace is
/// checked like every other character.
fn unfilled(text: &str) -> bool {
    crate::cell::placeholders(text).next().is_some()
}

/// A repository name as Docker's reference grammar has it: `/`-separated components of
/// lowercase letters and digits, joined inside a component by `.`, `_`, `__` or runs of `-`.
pub(crate) fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.split('/').all(|component| {
            let bytes = component.as_bytes();
            let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
                return false;
            }
            let mut i = 0;
            while i < bytes.len() {
                if alnum(bytes[i]) {
                    i += 1;
                    continue;
                }
                let sep_start = i;
                while i < bytes.len() && !alnum(bytes[i]) {
                    i += 1;
                }
                let sep = &component[sep_start..i];
                if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
                    return false;
                }
            }
            true
        })
}

/// A tag: a word character, then up to 127 word characters, `.` or `-`.
pub(crate) fn valid_tag(s: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    s.len() <= 128 && s.starts_with(word) && s.chars().all(|c| word(c) || c == '.' || c == '-')
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
    let last_user = cell
        .last
        .steps
        .iter()
        .rev()
        .find(|s| matches!(s, Step::User(_) | Step::RootBecause(_)));
    match last_user {
        None => cx.error(
            cell.decl.ident.span(),
            format!("image {} never sets `user`: the final stage must run as a numeric non-root uid:gid, e.g. `user 185:0;`", cell.label()),
        ),
        Some(Step::User(UserSpec::Named { name, span })) => cx.error(
            *span,
            format!("`user {name}`: use a numeric non-root uid:gid (e.g. `user 185:0;`) so runAsNonRoot can verify it"),
        ),
        Some(Step::User(UserSpec::Numeric { uid, .. })) if uid.base10_digits() == "0" => {
            cx.error(uid.span(), "the final stage must not run as root (uid 0): use a non-root uid such as 185")
        }
        Some(Step::RootBecause(reason)) if reason.value().trim().len() < 20 => cx.error(
            reason.span(),
            "say why this image must start as root (at least a sentence): the reason is rendered into the Dockerfile for review",
        ),
        Some(_) => {}
    }
    for step in steps(cell) {
        if let Step::Copy(CellCopy {
            chown: Some(UserSpec::Named { name, span }),
            ..
        }) = step
        {
            cx.error(*span, format!("`chown {name}`: use a numeric uid:gid"));
        }
    }
}

/// Every image declares a size budget, in MB, GB, MiB or GiB, neither zero nor past 64 bits of
/// bytes. The ceiling of each kind of image is the catalog's policy, asserted by
/// [`crate::policy`].
///
/// ```text
/// budget 600 KB;   // error: unknown unit
/// ```
pub fn check_size_budget(cx: &Ctxt, cell: &Cell<'_>) {
    let Some(budget) = cell.budget else {
        cx.error(
            cell.decl.ident.span(),
            format!(
                "image {} has no size budget: add e.g. `budget 600 MB;`",
                cell.label()
            ),
        );
        return;
    };
    if crate::budget_bytes(budget).is_some() && !crate::budget_fits(budget) {
        cx.error(
            budget.amount_span,
            "this budget does not fit in 64 bits of bytes: write the size the image may have",
        );
        return;
    }
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
        let Step::Apt(items) = step else { continue };
        for item in items {
            if let Some(error) = apt_item_error(&item.value) {
                cx.error(item.span, error);
            }
        }
    }
}

/// What is wrong with an apt item, if anything (the expansion leaves such an item unresolved).
pub(crate) fn apt_item_error(text: &str) -> Option<String> {
    if text.contains(['>', '<']) {
        return Some(format!(
            "`{text}` is a range: pin an exact version (`name=version`)"
        ));
    }
    let (name, version) = text
        .split_once('=')
        .map_or((text, None), |(n, v)| (n, Some(v)));
    if !is_package_name(name) {
        return Some(format!(
            "`{name}` is not a Debian package name: lowercase letters, digits, `+`, `-` and `.`, starting with a letter or digit"
        ));
    }
    match version {
        Some(version) if !exact_version(version) => Some(format!(
            "`{text}` is not pinned: write `{name}=<exact Debian version>` or pin it in images/pins.toml"
        )),
        _ => None,
    }
}

/// Debian policy 5.6.1: at least two characters, lowercase letters, digits, `+`, `-`, `.`,
/// starting with a letter or digit.
pub(crate) fn is_package_name(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
}

/// An exact version, as the pin file's is: one definition in `image_dsl_pin_rules`.
pub(crate) use image_dsl_pin_rules::exact_version;

/// pip requirements are pinned with `==` (or by key of the pin file, which records the wheel and its
/// sha256); `>=`, `~=`, `!=`, `<`, wildcards, URLs and `latest` are not pins.
///
/// ```text
/// pip ["pandas>=2"] into "/opt/venv";   // error
/// ```
pub fn check_pip_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let Step::Pip { pins: items, .. } = step else {
            continue;
        };
        for item in items {
            if let Some(error) = pip_item_error(&item.value) {
                cx.error(item.span, error);
            }
        }
    }
}

/// What is wrong with a pip requirement, if anything (the expansion leaves it unresolved).
pub(crate) fn pip_item_error(text: &str) -> Option<String> {
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
        return Some(format!(
            "pip requirement `{text}` is not pinned: use `{name}==<version>` or its key in images/pins.toml"
        ));
    }
    let (name, version) = text
        .split_once("==")
        .map_or((text, None), |(n, v)| (n, Some(v)));
    let valid_name = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid_name {
        Some(format!("`{name}` is not a Python distribution name"))
    } else if version.is_some_and(|v| !exact_version(v)) {
        Some(format!(
            "pip requirement `{text}` is not pinned: use `{name}==<version>`"
        ))
    } else {
        None
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
        let Step::Artifact {
            pin: CellPin::Inline(span, fields),
            ..
        } = step
        else {
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

/// Git sources written inline name a full 40-hex commit, never a branch, tag or short id.
///
/// ```text
/// git { repo: "https://github.com/ohmyzsh/ohmyzsh", commit: "master" } to "/opt/omz";   // error
/// ```
pub fn check_git_pinned(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let Step::Git {
            pin: CellPin::Inline(span, fields),
            ..
        } = step
        else {
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
                let split = r.value.split_once("@sha256:");
                let digest_ok = split.is_some_and(|(_, d)| is_hex(d, 64));
                if let Some((name, _)) = split
                    && !valid_reference(name)
                {
                    let what = if name.is_empty() {
                        "a digest alone names no image".to_owned()
                    } else {
                        format!("`{name}` before the digest is not an image reference")
                    };
                    cx.error(
                        r.span,
                        format!("{what}: write `[registry/]name[:tag]@sha256:<digest>`"),
                    );
                } else if !digest_ok {
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

/// `[host[:port]/]name[:tag]` as Docker's reference grammar has it; a digest alone names no image.
fn valid_reference(reference: &str) -> bool {
    let (path, tag) = match reference.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') => (path, Some(tag)),
        _ => (reference, None),
    };
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let host = parts.remove(0);
        let (name, port) = host.split_once(':').unwrap_or((host, "0"));
        let host_ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
            && !port.is_empty()
            && port.chars().all(|c| c.is_ascii_digit());
        if !host_ok {
            return false;
        }
    }
    valid_name(&parts.join("/")) && tag.is_none_or(valid_tag)
}

/// Names and values that look like secrets never go into ENV, ARG or LABEL: they stay in the image
/// history for anyone who can pull it. Pass secrets at run time.
///
/// ```text
/// env DB_PASSWORD = "hunter2";   // error
/// ```
pub fn check_no_secrets(cx: &Ctxt, cell: &Cell<'_>) {
    for step in steps(cell) {
        let (kind, pairs) = match step {
            Step::Env(p) => ("ENV", p),
            Step::Arg(p) => ("ARG", p),
            Step::Label(p) => ("LABEL", p),
            _ => continue,
        };
        for (key, value) in pairs {
            if let Some(word) = secret_word(&key.value)
                && !credentials_path(word, &value.value)
            {
                cx.error(
                    key.span,
                    format!("`{}` looks like a secret ({word}) in {kind}: it would stay in the image history; pass it at run time", key.value),
                );
            } else if let Some(what) = secret_value(&value.value) {
                cx.error(
                    value.span,
                    format!(
                        "this {kind} value looks like a credential ({what}): pass it at run time"
                    ),
                );
            }
        }
    }
}

/// Prefixes of well-known credential formats: AWS (long-term and temporary), GitHub, Slack,
/// Anthropic, OpenAI project keys, GitLab, Google API keys, Hugging Face, npm, Stripe.
/// Each with the shortest run of letters and digits that must follow it, so that a path such as
/// `/opt/hf_cache` is not taken for a Hugging Face token.
const SECRET_VALUES: &[(&str, usize)] = &[
    ("AKIA", 16),
    ("ASIA", 16),
    ("ghp_", 1),
    ("gho_", 1),
    ("ghu_", 1),
    ("ghs_", 1),
    ("ghr_", 1),
    ("github_pat_", 1),
    ("xoxb-", 1),
    ("xoxp-", 1),
    ("xoxa-", 1),
    ("xapp-", 1),
    ("sk-ant-", 1),
    ("sk-proj-", 1),
    ("glpat-", 1),
    ("AIza", 30),
    ("hf_", 30),
    ("npm_", 30),
    ("sk_live_", 16),
    ("rk_live_", 16),
];

/// What makes a value a credential, if anything: a known token prefix at the start of a word, a
/// private key, a URL with `user:password@` (JDBC, metastore and database URLs included), a
/// password or account-key parameter (`password=`, `AccountKey=`), or an Oracle thin
/// `user/password@`.
pub(crate) fn secret_value(value: &str) -> Option<String> {
    let at_word_start = |i: usize| {
        i == 0
            || !value[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    };
    for (prefix, min) in SECRET_VALUES {
        let found = value.match_indices(prefix).any(|(i, _)| {
            let rest = &value[i + prefix.len()..];
            let run = rest.chars().take_while(char::is_ascii_alphanumeric).count();
            at_word_start(i) && run >= *min
        });
        if found {
            return Some(format!("`{prefix}…`"));
        }
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("`-----BEGIN…`".to_owned());
    }
    if let Some((_, rest)) = value.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if let Some((userinfo, _)) = authority.rsplit_once('@')
            && userinfo
                .split_once(':')
                .is_some_and(|(_, pw)| !pw.is_empty())
        {
            return Some("a URL with `user:password@`".to_owned());
        }
    }
    let lower = value.to_ascii_lowercase();
    for param in [
        "password=",
        "passwd=",
        "pwd=",
        "accountkey=",
        "sharedaccesssignature=",
    ] {
        let set = lower.match_indices(param).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + param.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && after.is_some_and(|c| !"&;\" ".contains(c))
        });
        if set {
            return Some(format!("a `{}` parameter", &param[..param.len() - 1]));
        }
    }
    if let Some((_, rest)) = lower.split_once(":thin:")
        && let Some((userinfo, _)) = rest.split_once('@')
        && userinfo
            .split_once('/')
            .is_some_and(|(u, p)| !u.is_empty() && !p.is_empty())
    {
        return Some("an Oracle `user/password@` URL".to_owned());
    }
    None
}

/// A variable naming where credentials are (`GOOGLE_APPLICATION_CREDENTIALS=/etc/gcp/key.json`):
/// a path, the recommended pattern, not a secret.
fn credentials_path(word: &str, value: &str) -> bool {
    matches!(word, "credential" | "credentials") && value.starts_with('/')
}

/// The secret-like word of a variable name, matched on whole words (`DB_PASSWORD`, `apiKey`…), not
/// substrings (`TOKENIZERS_PARALLELISM` is fine); names of files or paths holding a secret
/// (`POSTGRES_PASSWORD_FILE`) are the recommended pattern and pass.
pub(crate) fn secret_word(name: &str) -> Option<&'static str> {
    // The words of the credential variables that database clients (PGPASSWORD, MYSQL_PWD,
    // ORACLE_PWD, MSSQL_SA_PASSWORD), JDBC and metastore settings (ConnectionPassword) and cloud
    // SDKs (AWS_SECRET_ACCESS_KEY, AZURE_STORAGE_KEY, AZURE_CLIENT_SECRET) use.
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "pgpassword",
        "token",
        "secret",
        "credential",
        "credentials",
        "apikey",
        "privatekey",
        "accountkey",
        "sastoken",
    ];
    const PAIRS: &[(&str, &str, &str)] = &[
        ("api", "key", "api key"),
        ("private", "key", "private key"),
        ("access", "key", "access key"),
        ("account", "key", "account key"),
        ("storage", "key", "storage key"),
        ("signing", "key", "signing key"),
        ("encryption", "key", "encryption key"),
        ("master", "key", "master key"),
        ("connection", "string", "connection string"),
    ];
    // Short forms that are a secret only as the last word of a longer name: `MYSQL_PWD`,
    // `DB_PASS`, but not the shell's `PWD` nor `PASS_THROUGH`.
    const LAST: &[(&str, &str)] = &[("pwd", "password"), ("pass", "password")];
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if (!c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower))
            && !current.is_empty()
        {
            words.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase();
    }
    if !current.is_empty() {
        words.push(current);
    }
    // Where a secret is, how it is used, or settings about it: `POSTGRES_PASSWORD_FILE`,
    // `OAUTH_TOKEN_URL`, `TOKEN_TTL`, `SECRET_NAME`.
    if matches!(
        words.last().map(String::as_str),
        Some(
            "file"
                | "path"
                | "dir"
                | "env"
                | "name"
                | "enabled"
                | "length"
                | "url"
                | "uri"
                | "endpoint"
                | "host"
                | "header"
                | "type"
                | "ttl"
                | "expiry"
                | "policy"
                | "algorithm"
                | "location"
        )
    ) {
        return None;
    }
    if words.len() >= 2
        && let Some((_, what)) = LAST
            .iter()
            .find(|(w, _)| words.last().is_some_and(|l| l == w))
    {
        return Some(what);
    }
    for w in &words {
        if let Some(word) = WORDS.iter().find(|x| **x == w.as_str()) {
            return Some(word);
        }
    }
    words.windows(2).find_map(|pair| {
        PAIRS
            .iter()
            .find(|(a, b, _)| pair[0] == *a && pair[1] == *b)
            .map(|(_, _, what)| *what)
    })
}

/// A `spark` statement names a release (`major.minor.patch`) and one of the variants. Whether the
/// catalog supports that combination is its policy, asserted by [`crate::policy`].
///
/// ```text
/// spark "3.5.7" variant "cuda";   // error: unknown variant
/// ```
pub fn check_supported_combination(cx: &Ctxt, cell: &Cell<'_>) {
    let Some((version, variant)) = &cell.spark else {
        return;
    };
    if SparkVersion::parse(&version.value).is_none() {
        cx.error(
            version.span,
            format!(
                "`{}` is not a Spark version (major.minor.patch)",
                version.value
            ),
        );
    }
    if SparkVariant::parse(&variant.value).is_none() {
        let known: Vec<&str> = SparkVariant::ALL.iter().map(|v| v.as_str()).collect();
        let (last, rest) = known.split_last().expect("variants exist");
        cx.error(
            variant.span,
            format!(
                "unknown variant `{}`: {} or {last}",
                variant.value,
                rest.join(", ")
            ),
        );
    }
}

/// Nothing Docker Engine 20.10 cannot build: its classic builder has no `COPY --chmod`, no
/// `COPY --link`, no heredocs, `HEALTHCHECK --start-interval` only exists since Engine 25, and a
/// stage `from scratch` has no shell to run anything with.
///
/// ```text
/// copy from build "/opt/app" to "/opt/app" chmod 755;   // error
/// ```
pub fn check_engine_support(cx: &Ctxt, cell: &Cell<'_>) {
    for stage in cell.stages.iter().chain(std::iter::once(&cell.last)) {
        if !matches!(stage.base, Some(CellBase::Scratch)) {
            continue;
        }
        for step in &stage.steps {
            let what = match step {
                Step::Run(cmds) => cmds.first().map(|c| (c.span, "run")),
                Step::Apt(items) => items.first().map(|c| (c.span, "apt")),
                Step::Pip { pins: items, .. } => items.first().map(|c| (c.span, "pip")),
                _ => None,
            };
            if let Some((span, what)) = what {
                cx.error(span, format!("`{what}` needs a shell, and a stage `from scratch` has none: do it in a builder stage and `copy from` it"));
            }
        }
    }
    for step in steps(cell) {
        match step {
            Step::Copy(CellCopy { chmod, link, .. }) => {
                if let Some(span) = chmod {
                    cx.error(*span, "`chmod` on COPY needs BuildKit, which Docker Engine 20.10's classic builder lacks: set modes in a builder stage");
                }
                if let Some(span) = link {
                    cx.error(*span, "`link` (COPY --link) needs the dockerfile 1.4 frontend, which Docker Engine 20.10 cannot pull here");
                }
            }
            Step::Run(cmds) => {
                for cmd in cmds {
                    if has_heredoc(&cmd.value) {
                        cx.error(cmd.span, "heredocs need the dockerfile 1.4 frontend (not in Engine 20.10): use a `file` step");
                    }
                    if cmd.value.contains('\n') {
                        cx.error(cmd.span, "one command per string: list several strings instead of embedding newlines");
                    }
                }
            }
            Step::Healthcheck(h) => check_healthcheck(cx, h.opts, &h.values),
            Step::File(CellFile {
                mode: Some(mode), ..
            }) => check_mode(cx, mode),
            Step::Expose(ports) => {
                for port in ports {
                    check_int(cx, port, "port", 1, 65535);
                }
            }
            Step::User(UserSpec::Numeric { uid, gid }) => {
                check_int(cx, uid, "uid", 0, u32::MAX.into());
                check_int(cx, gid, "gid", 0, u32::MAX.into());
            }
            _ => {}
        }
    }
}

/// A file mode is written in octal (`0o755`), up to `0o7777`: `755` would be decimal, i.e.
/// `0o1363`.
fn check_mode(cx: &Ctxt, mode: &syn::LitInt) {
    let text = mode.to_string();
    let value = text
        .strip_prefix("0o")
        .and_then(|octal| u32::from_str_radix(&octal.replace('_', ""), 8).ok());
    match value {
        Some(v) if v <= 0o7777 => {}
        Some(_) => cx.error(mode.span(), format!("mode `{text}` is over `0o7777`")),
        None => cx.error(
            mode.span(),
            format!("write the mode in octal, e.g. `0o755`: `{text}` would not be read as octal"),
        ),
    }
}

/// An integer the Dockerfile takes as written: plain digits, no type suffix, within range.
fn check_int(cx: &Ctxt, lit: &syn::LitInt, what: &str, min: u64, max: u64) {
    let ok = lit.suffix().is_empty()
        && lit
            .base10_parse::<u64>()
            .is_ok_and(|v| (min..=max).contains(&v));
    if !ok {
        cx.error(
            lit.span(),
            format!("`{lit}` is not a {what}: a plain number from {min} to {max}"),
        );
    }
}

/// Data cannot steer the Dockerfile: every string that reaches it stays one value of one
/// instruction. A newline would start a new instruction (another `USER`), a trailing backslash
/// would swallow the next one, and in an unquoted path a space, quote or `$` would split or
/// expand it. Quoted values (ENV, ARG, LABEL values) and exec-form lists (`cmd`, `entrypoint`,
/// `volume`, a healthcheck's `cmd`) are escaped by the renderer and only refuse control
/// characters, which no Dockerfile word can hold.
///
/// ```text
/// workdir "/opt\nUSER 0:0";        // error: a control character in a path
/// run ["echo done \\"];           // error: the trailing backslash continues the line
/// copy from build "/a b" to "/x";  // error: a space in an unquoted path
/// ```
pub fn check_dockerfile_text(cx: &Ctxt, cell: &Cell<'_>) {
    for stage in cell.stages.iter().chain(std::iter::once(&cell.last)) {
        if let Some(name) = stage.name {
            check_stage_name(cx, name);
        }
    }
    for step in steps(cell) {
        match step {
            Step::Run(cmds) => cmds.iter().for_each(|c| check_run_text(cx, c)),
            Step::Pip { venv, .. } => check_path(cx, "venv", venv),
            Step::Artifact { pin, dest } | Step::Git { pin, dest } => {
                check_path(cx, "destination", dest);
                if let CellPin::Inline(_, fields) = pin {
                    for (key, value) in fields {
                        check_word(cx, &format!("`{key}`"), value);
                    }
                }
            }
            Step::Copy(CellCopy { src, dest, .. }) => {
                src.iter().for_each(|s| check_path(cx, "source", s));
                check_path(cx, "destination", dest);
            }
            Step::File(CellFile { dest, .. }) => check_path(cx, "destination", dest),
            Step::Workdir(dir) => check_path(cx, "workdir", dir),
            Step::Env(pairs) | Step::Arg(pairs) => {
                pairs.iter().for_each(|(_, v)| check_value(cx, v));
            }
            Step::Label(pairs) => {
                for (key, value) in pairs {
                    check_label_key(cx, key);
                    check_value(cx, value);
                }
            }
            Step::RootBecause(reason) => {
                if let Some(c) = reason.value().chars().find(|c| c.is_control()) {
                    cx.error(reason.span(), format!("the reason is rendered as a Dockerfile comment and cannot hold control character {c:?}: write it on one line"));
                }
            }
            Step::Volume(items) | Step::Entrypoint(items) | Step::Cmd(items) => {
                items.iter().for_each(|v| check_value(cx, v));
            }
            Step::Healthcheck(h) => {
                for (_, value) in &h.values {
                    match value {
                        CellHealth::Str(s) => check_value(cx, s),
                        CellHealth::List(l) => l.iter().for_each(|v| check_value(cx, v)),
                        CellHealth::Int(_) => {}
                    }
                }
            }
            Step::Apt(_) | Step::User(_) | Step::Expose(_) => {}
        }
    }
}

/// A control character, which no Dockerfile word can hold (a newline ends the instruction).
fn control_char(s: &str) -> Option<char> {
    s.chars().find(|c| c.is_control())
}

/// A quoted or JSON value: anything but control characters.
fn check_value(cx: &Ctxt, value: &Sp<String>) {
    if let Some(c) = control_char(&value.value) {
        cx.error(
            value.span,
            format!("{c:?} would end the Dockerfile instruction: a value is one line without control characters"),
        );
    }
}

/// A word the renderer writes unquoted (an inline artifact's URL becomes a file name in the
/// context): no control characters, spaces, quotes, backslashes or `$`.
fn check_word(cx: &Ctxt, what: &str, value: &Sp<String>) {
    if let Some(c) = value.value.chars().find(|c| unsafe_in_word(*c)) {
        cx.error(
            value.span,
            format!("{what} cannot hold {c:?}: it is written unquoted into the Dockerfile, where it would split, escape or expand"),
        );
    }
}

fn unsafe_in_word(c: char) -> bool {
    c.is_control() || c.is_whitespace() || "\\\"'`$".contains(c)
}

/// A path the renderer writes unquoted (COPY, WORKDIR, the venv of a `RUN`): absolute, without
/// what would split, escape or expand it, and without `..`.
fn check_path(cx: &Ctxt, what: &str, path: &Sp<String>) {
    let text = &path.value;
    if text.is_empty() {
        cx.error(
            path.span,
            format!("{what} is empty: write an absolute path"),
        );
    } else if !text.starts_with('/') {
        cx.error(
            path.span,
            format!("{what} `{text}` must be an absolute path (start with `/`)"),
        );
    } else if text.split('/').any(|part| part == "..") {
        cx.error(
            path.span,
            format!("{what} `{text}` must not climb with `..`: write the path it means"),
        );
    } else {
        check_word(cx, what, path);
    }
}

/// A run command stays inside its `RUN`: one line, no trailing backslash (which would join the
/// next instruction), not empty and not a comment (BuildKit drops both from a continued line, so
/// the `RUN` would swallow what follows).
fn check_run_text(cx: &Ctxt, cmd: &Sp<String>) {
    let text = &cmd.value;
    let trimmed = text.trim();
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        cx.error(
            cmd.span,
            format!("{c:?} would end the Dockerfile instruction: a command is one line without control characters"),
        );
    } else if trimmed.is_empty() {
        cx.error(cmd.span, "an empty command: remove it");
    } else if trimmed.starts_with('#') {
        cx.error(
            cmd.span,
            "a command that is a comment would be dropped from the RUN line by the Dockerfile parser: write comments in Rust, next to the step",
        );
    } else if trimmed.starts_with('-') {
        cx.error(
            cmd.span,
            "a command starting with `-` would be read as a RUN flag (`--mount`, `--network`): start it with the program",
        );
    } else if trimmed.len() != text.len() {
        cx.error(
            cmd.span,
            "a command with surrounding whitespace: the Dockerfile parser trims it, so write it trimmed",
        );
    } else if trimmed.ends_with('\\') {
        cx.error(
            cmd.span,
            "a trailing backslash would continue the RUN onto the next Dockerfile instruction: remove it",
        );
    }
}

/// Docker's stage names: a lowercase letter, then lowercase letters, digits, `-`, `_` or `.`;
/// `scratch` is reserved.
fn check_stage_name(cx: &Ctxt, name: &syn::Ident) {
    let text = name.to_string();
    let valid = text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !valid {
        cx.error(
            name.span(),
            format!("`{text}` is not a stage name Docker accepts: a lowercase letter, then lowercase letters, digits, `-`, `_` or `.`"),
        );
    } else if text == "scratch" || text.starts_with("apt-") || text.starts_with("before-apt-") {
        cx.error(
            name.span(),
            format!("stage name `{text}` is reserved: `scratch` by Docker, `apt-N` and `before-apt-N` by the renderer"),
        );
    }
}

/// Label keys are written unquoted: letters, digits, `.`, `-`, `_` and `/`.
fn check_label_key(cx: &Ctxt, key: &Sp<String>) {
    let valid = !key.value.is_empty()
        && key
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
    if !valid {
        cx.error(
            key.span,
            format!("`{}` is not a label key: letters, digits, `.`, `-`, `_` and `/` (e.g. `org.opencontainers.image.vendor`)", key.value),
        );
    }
}

/// A here-document (`<<WORD`, `<<-WORD`, `<<'WORD'`), not a here-string (`<<<`) nor a shift
/// inside `$(( ))`.
pub(crate) fn has_heredoc(cmd: &str) -> bool {
    // At the start of a RUN, the Dockerfile parser reads any `<<` as a here-document, `<<<`
    // included; a command that starts with a redirection has no use here anyway.
    if cmd.trim_start().starts_with("<<") {
        return true;
    }
    let bytes = cmd.as_bytes();
    let mut i = 0;
    while let Some(at) = cmd[i..].find("<<") {
        let pos = i + at;
        i = pos + 2;
        let before = &cmd[..pos];
        let in_arithmetic = before.matches("$((").count() > before.matches("))").count();
        let herestring = bytes.get(pos + 2) == Some(&b'<') || (pos > 0 && bytes[pos - 1] == b'<');
        if in_arithmetic || herestring {
            // Past the `<<` (and a third `<`), which are ASCII, so `i` stays on a char boundary.
            i = pos
                + if bytes.get(pos + 2) == Some(&b'<') {
                    3
                } else {
                    2
                };
            continue;
        }
        // A quote opens a quoted delimiter (`<<'EOF'`), or an unterminated one the parser refuses.
        let word = cmd[pos + 2..].trim_start_matches('-').trim_start();
        // BuildKit takes any word as the delimiter (`<<EOF`, `<<4`, `<<é`, even `<<;`, which the
        // shell would refuse), not only identifiers.
        // Nothing after it: the renderer joins the next command with `; `, which makes `;` the
        // delimiter (and a shell refuses `<<` with no word anyway).
        if word.is_empty() || word.starts_with(|c: char| !c.is_whitespace()) {
            return true;
        }
    }
    false
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
                cx.error(s.span, format!("`{}` is not a duration Docker takes, such as `30s`, `1m30s` or `500ms` (zero or at least 1ms)", s.value))
            }
            ("retries", CellHealth::Int(_)) => {}
            _ => cx.error(
                opt.key.span(),
                format!("healthcheck `{key}`: expected cmd: [..], interval/timeout/start_period: \"30s\", retries: 3"),
            ),
        }
    }
    if !values.iter().any(|(k, _)| k == "cmd")
        && let Some(first) = opts.first()
    {
        cx.error(first.key.span(), "healthcheck needs `cmd: [\"...\"]`");
    }
}

/// A duration as Docker parses it (Go's `time.ParseDuration`: `30s`, `1m30s`, `1.5h`, `500ms`),
/// zero or at least the engine's minimum of 1ms.
pub(crate) fn is_duration(s: &str) -> bool {
    const UNITS: &[(&str, f64)] = &[
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    let mut rest = s;
    let mut nanos = 0.0;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let Ok(number) = rest[..number_len].parse::<f64>() else {
            return false;
        };
        rest = &rest[number_len..];
        // Longest unit first: `ms` before `m`.
        let Some((unit, factor)) = UNITS
            .iter()
            .filter(|(u, _)| rest.starts_with(u))
            .max_by_key(|(u, _)| u.len())
        else {
            return false;
        };
        rest = &rest[unit.len()..];
        nanos += number * factor;
    }
    nanos == 0.0 || nanos >= 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_words_match_whole_words_only() {
        for name in [
            "DB_PASSWORD",
            "apiKey",
            "GITHUB_TOKEN",
            "aws_secret_access_key",
            "SSH_PRIVATE_KEY",
            "spark.authenticate.secret",
            "PGPASSWORD",
            "MYSQL_PWD",
            "ORACLE_PWD",
            "MSSQL_SA_PASSWORD",
            "DB_PASS",
            "javax.jdo.option.ConnectionPassword",
            "AZURE_STORAGE_KEY",
            "AZURE_STORAGE_CONNECTION_STRING",
            "AZURE_CLIENT_SECRET",
            "spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net",
            "AWS_SESSION_TOKEN",
            "GOOGLE_API_KEY",
        ] {
            assert!(secret_word(name).is_some(), "{name}");
        }
        for name in [
            "TOKENIZERS_PARALLELISM",
            "POSTGRES_PASSWORD_FILE",
            "SECRET_NAME",
            "PWD",
            "OLDPWD",
            "PASS_THROUGH",
            "SPARK_RPC_AUTHENTICATION_ENABLED",
            "KEYSTORE_PATH",
            "OAUTH_TOKEN_URL",
            "AZURE_AUTHORITY_HOST",
            "TOKEN_ENDPOINT",
            "PGPASSFILE",
            "AWS_SHARED_CREDENTIALS_FILE",
        ] {
            assert_eq!(secret_word(name), None, "{name}");
        }
    }

    #[test]
    fn credential_values_and_their_harmless_neighbours() {
        for value in [
            "postgresql://spark:hunter2@db:5432/metastore",
            "jdbc:mysql://db/hive?user=hive&password=hunter2",
            "jdbc:sqlserver://db:1433;databaseName=x;user=sa;password=hunter2",
            "jdbc:oracle:thin:scott/tiger@db:1521/ORCL",
            "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc123==",
            "ASIAIOSFODNN7EXAMPLE",
            "hf_abcdefghijklmnopqrstuvwxyz0123",
            "-----BEGIN RSA PRIVATE KEY-----",
        ] {
            assert!(secret_value(value).is_some(), "{value}");
        }
        for value in [
            "postgresql://spark@db:5432/metastore",
            "jdbc:postgresql://db/metastore?user=hive",
            "https://user@example.org/x",
            "password=",
            "-----BEGIN CERTIFICATE-----",
            "/opt/hf_cache",
            "thrift://metastore:9083",
            "SPARK_HOME=/opt/spark",
        ] {
            assert_eq!(secret_value(value), None, "{value}");
        }
        assert!(credentials_path("credentials", "/etc/gcp/key.json"));
        assert!(!credentials_path(
            "credentials",
            "{\"type\": \"service_account\"}"
        ));
    }

    #[test]
    fn heredocs_but_not_herestrings_or_shifts() {
        assert!(
            !has_heredoc("echo $((1<<é))"),
            "no panic inside a multi-byte character"
        );
        assert!(!has_heredoc("x<<<é<<<ü") && has_heredoc("<<<"));
        assert!(has_heredoc("<<𐌭") && has_heredoc("cat <<-'é'"));
        assert!(has_heredoc("cat <<EOF > /etc/x"));
        // Found by the round-trip property test: the Dockerfile parser reads `;` as a delimiter.
        assert!(has_heredoc("<<;") && has_heredoc("<<)") && has_heredoc("<<\""));
        assert!(has_heredoc("<<") && has_heredoc("cat <<- "));
        assert!(has_heredoc("cat <<-'END'"));
        assert!(!has_heredoc("grep x <<< \"$value\""));
        assert!(!has_heredoc("echo $((1<<4))"));
    }

    #[test]
    fn docker_reference_grammar() {
        for ok in [
            "spark",
            "spark-3.5.7",
            "a/b",
            "image-dsl/debian",
            "a__b",
            "a---b",
        ] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "-spark", "/spark", "spark//x", "Spark", "spark-", "a..b", "",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
        for ok in ["3.5.7", "gpu-iceberg", "_x", "bookworm-slim"] {
            assert!(valid_tag(ok), "{ok}");
        }
        for bad in [".hidden", "-rc1", "a:b", ""] {
            assert!(!valid_tag(bad), "{bad}");
        }
    }

    #[test]
    fn durations_as_docker_parses_them() {
        for ok in ["30s", "1m30s", "1.5h", "500ms", "0s", "2h45m10s"] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in ["30", "", "1x", "s", "1ns", "999us", "1m30"] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn references_before_a_digest() {
        for ok in [
            "debian:bookworm-slim",
            "docker.io/library/debian",
            "localhost:5000/a/b:1.0",
        ] {
            assert!(valid_reference(ok), "{ok}");
        }
        for bad in ["", ":tag", "Debian", "host:port/x", "a//b"] {
            assert!(!valid_reference(bad), "{bad}");
        }
    }

    #[test]
    fn debian_package_names_and_exact_versions() {
        assert!(is_package_name("g++") && is_package_name("libnss-wrapper"));
        assert!(!is_package_name("x") && !is_package_name("-a") && !is_package_name("Curl"));
        assert!(exact_version("2:4.0.2-3") && exact_version("17.0.21+9-1~deb12u1"));
        assert!(
            !exact_version("*")
                && !exact_version("latest")
                && !exact_version(">=1")
                && !exact_version("")
        );
    }
}
