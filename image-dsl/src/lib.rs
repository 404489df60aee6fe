//! Container images as typed Rust values.
//!
//! Declare images with [`image!`]; the macro checks the rules at compile time (non-root user,
//! size budget, pinned inputs, supported Spark combinations, nothing Docker Engine 20.10 can't
//! build) and produces [`Image`] values. [`render`] turns an image into a deterministic
//! Dockerfile and its build-context files; [`verify`] checks the output with BuildKit's grammar.
//!
//! The data flows one way: declaration → `image-dsl-macros-core` (parse, check, expand) →
//! [`model`] → [`render`] → [`verify`]; building and probing images is the `xtask`'s job.

pub mod catalog;
pub mod model;
pub mod pin;
pub mod pinfile;
pub mod render;
pub mod verify;

pub use image_dsl_macros::image;
/// Spark's vocabulary: releases, variants and what upstream supports (RAPIDS shims, Iceberg
/// runtimes), as the rules check it; `images lock` checks the pinned jars against it.
pub use image_dsl_spark as spark;
pub use model::*;
pub use pin::*;
pub use render::{AptBase, Rendered, RenderedApt, render, snapshot, snapshot_name};

#[doc(hidden)]
pub mod __private {
    //! What `image!`'s expansion calls in const context: exact lookups of pin keys and matrix
    //! cells whose failures are compile errors at the literal that named them.

    /// Index of `key` in `keys`, matched exactly. Otherwise a compile-time panic: `near[i]` when
    /// `key` is `keys[i]` up to case, `.`/`-`/`_` or one edit (a "did you mean"), else `missing`.
    pub const fn pin_index(keys: &[&str], near: &[&str], missing: &str, key: &str) -> usize {
        let mut i = 0;
        while i < keys.len() {
            if str_eq(keys[i], key) {
                return i;
            }
            i += 1;
        }
        let mut i = 0;
        while i < keys.len() {
            if resembles(keys[i], key) {
                panic!("{}", near[i]);
            }
            i += 1;
        }
        panic!("{}", missing)
    }

    /// Checks argument `axis` of a matrix reference: `value` is one of that axis's values,
    /// matched exactly ([`pin_index`] with the axis's values and messages), and the matrix has
    /// that many axes (else `arity`).
    pub const fn axis_value(
        axes: &[&[&str]],
        near: &[&[&str]],
        missing: &[&str],
        arity: &str,
        axis: usize,
        value: &str,
    ) {
        if axis >= axes.len() {
            panic!("{}", arity);
        }
        pin_index(axes[axis], near[axis], missing[axis], value);
    }

    /// Index of the matrix cell whose axis values are exactly `args`. Otherwise a compile-time
    /// panic: `arity` when arguments are missing, the exclusion's message when `args` is an
    /// excluded cell. An argument that is not a value of its axis, or one too many, was reported
    /// by [`axis_value`] at that argument: then 0, so it is reported once.
    pub const fn cell_index(
        cells: &[&[&str]],
        excluded: &[(&[&str], &str)],
        axes: &[&[&str]],
        arity: &str,
        args: &[&str],
    ) -> usize {
        if args.len() < axes.len() {
            panic!("{}", arity);
        }
        if args.len() > axes.len() {
            return 0;
        }
        let mut i = 0;
        while i < args.len() {
            if !contains(axes[i], args[i]) {
                return 0;
            }
            i += 1;
        }
        let mut i = 0;
        while i < cells.len() {
            if all(cells[i], args) {
                return i;
            }
            i += 1;
        }
        let mut i = 0;
        while i < excluded.len() {
            if all(excluded[i].0, args) {
                panic!("{}", excluded[i].1);
            }
            i += 1;
        }
        // Every combination of axis values is a cell or excluded.
        0
    }

    const fn contains(list: &[&str], item: &str) -> bool {
        let mut i = 0;
        while i < list.len() {
            if str_eq(list[i], item) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Each `a[i]` equals `b[i]`.
    const fn all(a: &[&str], b: &[&str]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if !str_eq(a[i], b[i]) {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Equal up to ASCII case and `.`/`-`/`_`, or one insertion, deletion, substitution or
    /// transposition apart: what a "did you mean" suggests.
    const fn resembles(a: &str, b: &str) -> bool {
        folded_eq(a.as_bytes(), b.as_bytes()) || one_edit(a.as_bytes(), b.as_bytes())
    }

    const fn fold(c: u8) -> u8 {
        match c {
            b'.' | b'-' => b'_',
            c => c.to_ascii_lowercase(),
        }
    }

    const fn folded_eq(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if fold(a[i]) != fold(b[i]) {
                return false;
            }
            i += 1;
        }
        true
    }

    /// `a[i..] == b[j..]`.
    const fn tail_eq(a: &[u8], i: usize, b: &[u8], j: usize) -> bool {
        if a.len() - i != b.len() - j {
            return false;
        }
        let mut k = 0;
        while i + k < a.len() {
            if a[i + k] != b[j + k] {
                return false;
            }
            k += 1;
        }
        true
    }

    const fn one_edit(a: &[u8], b: &[u8]) -> bool {
        if a.len() > b.len() + 1 || b.len() > a.len() + 1 || a.is_empty() || b.is_empty() {
            return false;
        }
        let mut i = 0;
        while i < a.len() && i < b.len() && a[i] == b[i] {
            i += 1;
        }
        if a.len() == b.len() {
            if i == a.len() {
                return false;
            }
            tail_eq(a, i + 1, b, i + 1)
                || (i + 1 < a.len()
                    && a[i] == b[i + 1]
                    && a[i + 1] == b[i]
                    && tail_eq(a, i + 2, b, i + 2))
        } else if a.len() > b.len() {
            tail_eq(a, i + 1, b, i)
        } else {
            tail_eq(a, i, b, i + 1)
        }
    }

    /// What a catalog image tells the images that build on it or copy from it, at compile time:
    /// whether it carries the RAPIDS Accelerator (fetches a RAPIDS jar, or builds on or copies
    /// from an image that does), and whether it declares a `gpu` Spark variant, itself or
    /// through the image its final stage builds on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Facts {
        /// Carries a RAPIDS jar.
        pub rapids: bool,
        /// Declares a `gpu` or `gpu-iceberg` Spark variant.
        pub gpu: bool,
    }

    impl Facts {
        /// Neither: the facts of a reference that was already reported (unknown or excluded
        /// cell), so it is reported once.
        pub const NONE: Facts = Facts {
            rapids: false,
            gpu: false,
        };
    }

    /// The facts of the matrix cell whose values are exactly `args` (`facts` in `cells`' order),
    /// or [`Facts::NONE`] when there is none: [`cell_index`] reports that at the reference.
    pub const fn cell_facts(facts: &[Facts], cells: &[&[&str]], args: &[&str]) -> Facts {
        let mut i = 0;
        while i < cells.len() && i < facts.len() {
            if all(cells[i], args) {
                return facts[i];
            }
            i += 1;
        }
        Facts::NONE
    }

    /// A running image that carries RAPIDS must declare a `gpu` Spark variant, so that the
    /// supported-combination rule checked its Spark release: otherwise a compile-time panic with
    /// `message`, at the reference (or artifact) that brings the jar in.
    pub const fn rapids_declared(carries: bool, gpu: bool, message: &str) {
        if carries && !gpu {
            panic!("{}", message);
        }
    }

    /// `a == b` in a const context (the macro asserts written versions against the pin file).
    pub const fn str_eq(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::__private::{axis_value, cell_index, pin_index};

    #[test]
    fn pin_keys_match_exactly() {
        assert_eq!(pin_index(&["tini", "procps"], &["", ""], "", "procps"), 1);
    }

    #[test]
    #[should_panic(expected = "did you mean `tini`")]
    fn a_folded_pin_key_is_a_near_miss_not_a_match() {
        pin_index(&["tini"], &["did you mean `tini`"], "missing", "TINI");
    }

    #[test]
    #[should_panic(expected = "did you mean `procps`")]
    fn one_edit_away_is_a_near_miss() {
        pin_index(
            &["tini", "procps"],
            &["", "did you mean `procps`"],
            "missing",
            "porcps",
        );
    }

    #[test]
    #[should_panic(expected = "missing")]
    fn far_keys_are_missing() {
        pin_index(&["tini"], &["did you mean `tini`"], "missing", "openjdk");
    }

    const AXES: &[&[&str]] = &[&["3.5.7", "4.1.0"], &["baseline", "gpu"]];

    #[test]
    fn cells_match_exactly() {
        let cells: &[&[&str]] = &[&["3.5.7", "gpu"], &["3.5.7", "baseline"]];
        assert_eq!(cell_index(cells, &[], AXES, "", &["3.5.7", "baseline"]), 1);
    }

    #[test]
    #[should_panic(expected = "excluded by")]
    fn an_excluded_cell_says_so() {
        let cells: &[&[&str]] = &[&["3.5.7", "baseline"]];
        let excluded: &[(&[&str], &str)] = &[(&["4.1.0", "gpu"], "excluded by `except`")];
        cell_index(cells, excluded, AXES, "arity", &["4.1.0", "gpu"]);
    }

    #[test]
    #[should_panic(expected = "arity")]
    fn a_missing_argument_is_an_arity_error() {
        cell_index(&[&["3.5.7", "baseline"]], &[], AXES, "arity", &["3.5.7"]);
    }

    #[test]
    #[should_panic(expected = "did you mean `baseline`")]
    fn a_typo_in_an_axis_value_is_a_near_miss() {
        let near: &[&[&str]] = &[&["", ""], &["did you mean `baseline`", ""]];
        axis_value(AXES, near, &["m", "m"], "arity", 1, "baselin");
    }
}
