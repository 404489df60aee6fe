//! Compile tests of `image!`: every rule has compile-fail cases in `ui/`, and `ui-pass/` keeps the
//! README's example and the legitimate neighbours of refused cases compiling (quoted values with
//! `$` and quotes, harmless secret-like names, Go durations, the documented pip form).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
