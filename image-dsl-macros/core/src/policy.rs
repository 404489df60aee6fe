//! The rules whose data is the catalog's policy: which Spark lines it builds, what RAPIDS and
//! Iceberg support of them, and the budget ceiling of each kind of image. The macro knows none of
//! it. It emits const assertions (`image_dsl::__private::check_*`) against `crate::policy::POLICY`,
//! the constant the catalog's build script generates from its `policy.toml`, each spanned at the
//! token it is about: a violation is a const-evaluation error there, with the policy's message.
//!
//! So supporting a new RAPIDS release is an edit of `policy.toml`, not of this crate.

use crate::Ctxt;
use crate::cell::{Cell, Sp};
use image_dsl_spark::{SparkVariant, SparkVersion};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};

/// Every policy assertion of one cell, each emitted once per token (matrix cells that share a
/// token and an assertion share its error).
pub fn assertions(cx: &Ctxt, cell: &Cell<'_>) -> TokenStream {
    let mut out = TokenStream::new();
    if let Some((version, variant)) = &cell.spark
        && let (Some(release), Some(flavor)) = (
            SparkVersion::parse(&version.value),
            SparkVariant::parse(&variant.value),
        )
    {
        out.extend(supported_combination(
            cx,
            release,
            (version, variant),
            flavor,
        ));
    }
    out.extend(budget_ceiling(cx, cell));
    out
}

/// `const _: () = ::image_dsl::__private::CHECK(&crate::policy::POLICY, ARGS);` at `span`, once.
fn assertion(cx: &Ctxt, span: Span, check: &str, args: TokenStream) -> TokenStream {
    let check = format_ident!("{}", check, span = span);
    let tokens = quote_spanned! {span=>
        const _: () = ::image_dsl::__private::#check(&crate::policy::POLICY, #args);
    };
    if cx.first_time(span, &tokens.to_string()) {
        tokens
    } else {
        TokenStream::new()
    }
}

/// Only combinations the policy supports: a Spark line the catalog builds (asserted at the
/// version), and for a `gpu` variant a RAPIDS shim for the release, for an `iceberg` one an
/// Iceberg runtime of its line and Scala that RAPIDS accelerates with `gpu` (asserted at the
/// cell's own token: the variant's axis value when the matrix produced it, else the version's,
/// else the variant as written). A version or variant that does not parse was reported by
/// `check::check_supported_combination`.
///
/// ```text
/// spark "4.1.0" variant "gpu";   // error where the policy's RAPIDS release has no 4.1.0 shim
/// ```
fn supported_combination(
    cx: &Ctxt,
    release: SparkVersion,
    (version, variant): (&Sp<String>, &Sp<String>),
    flavor: SparkVariant,
) -> TokenStream {
    let (major, minor, patch) = (release.major, release.minor, release.patch);
    let v = quote_spanned!(version.span=>
        ::image_dsl::SparkVersion { major: #major, minor: #minor, patch: #patch }
    );
    let written = &version.value;
    let mut out = assertion(
        cx,
        version.span,
        "check_spark_line",
        quote_spanned!(version.span=> #v, #written),
    );
    let span = if variant.from_axis || !version.from_axis {
        variant.span
    } else {
        version.span
    };
    let v = quote_spanned!(span=>
        ::image_dsl::SparkVersion { major: #major, minor: #minor, patch: #patch }
    );
    let unsupported = format!(
        "Spark {release} `{}` is not a supported combination: ",
        variant.value
    );
    if flavor.gpu() {
        out.extend(assertion(
            cx,
            span,
            "check_rapids_shim",
            quote_spanned!(span=> #v, #written, #unsupported),
        ));
    }
    if flavor.iceberg() {
        let gpu = flavor.gpu();
        out.extend(assertion(
            cx,
            span,
            "check_iceberg_runtime",
            quote_spanned!(span=> #v, #gpu, #written, #unsupported),
        ));
    }
    out
}

/// A budget stays under the policy's ceiling for its kind of image: a notebook image's
/// (`notebook;`) whatever its variant, else a Spark image's for its variant; an image of neither
/// kind has none. Asserted at the budget's amount. A budget that is missing, zero, overflowing or
/// in an unknown unit was reported by `check::check_size_budget`, and an unknown variant at the
/// variant.
///
/// ```text
/// spark "3.5.7" variant "baseline"; budget 1.5 GB;   // error: over the baseline ceiling
/// ```
fn budget_ceiling(cx: &Ctxt, cell: &Cell<'_>) -> TokenStream {
    let Some(budget) = cell.budget else {
        return TokenStream::new();
    };
    let bytes = match crate::budget_bytes(budget) {
        Some(bytes) if bytes > 0 && crate::budget_fits(budget) => bytes,
        _ => return TokenStream::new(),
    };
    let span = budget.amount_span;
    let kind = match (&cell.notebook, &cell.spark) {
        (Some(_), _) => quote_spanned!(span=> ::image_dsl::__private::ImageKind::Notebook),
        (None, Some((_, variant))) => match SparkVariant::parse(&variant.value) {
            Some(v) => {
                let v = format_ident!("{}", v.rust_name(), span = span);
                quote_spanned!(span=>
                    ::image_dsl::__private::ImageKind::Spark(::image_dsl::SparkVariant::#v)
                )
            }
            None => return TokenStream::new(),
        },
        (None, None) => return TokenStream::new(),
    };
    assertion(
        cx,
        span,
        "check_budget_ceiling",
        quote_spanned!(span=> #kind, #bytes),
    )
}
