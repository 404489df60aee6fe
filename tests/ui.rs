//! Compile tests of `image!`: every rule has compile-fail cases in `ui/`, and `ui-pass/` keeps the
//! README's example compiling.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
