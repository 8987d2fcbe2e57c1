//! Test support shared by the unit tests and the integration tests (which include this file by
//! path): property-test case counts that a soak run multiplies.

/// A proptest config of `cases` cases, times `CANARY_JUDGE_SOAK` when that is set: the
/// bit-exactness properties of the rank-sum evaluator are cheap enough to run many times more
/// often than CI runs them, after any change to it
/// (`CANARY_JUDGE_SOAK=50 cargo test --release -p canary-judge`).
///
/// # Panics
/// When `CANARY_JUDGE_SOAK` is set but not a positive integer (a soak that silently ran the
/// usual count would mislead).
pub(crate) fn soaked(cases: u32) -> proptest::test_runner::Config {
    let factor = match std::env::var("CANARY_JUDGE_SOAK") {
        Ok(text) => text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|&f| f > 0)
            .unwrap_or_else(|| panic!("CANARY_JUDGE_SOAK={text:?}: expected a positive integer")),
        Err(_) => 1,
    };
    // Rejections (`prop_assume!`) are allowed in proportion: a long soak of a property that
    // rejects one case in thirty would otherwise stop at the default limit of 1 024.
    let base = proptest::test_runner::Config::default();
    proptest::test_runner::Config {
        cases: cases.saturating_mul(factor),
        max_global_rejects: base.max_global_rejects.saturating_mul(factor),
        max_local_rejects: base.max_local_rejects.saturating_mul(factor),
        ..base
    }
}
