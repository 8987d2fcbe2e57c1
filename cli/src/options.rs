//! Checks of numeric command-line options shared by the offline commands (`replay`, `report`,
//! `backtest`): clap parses the numbers, these refuse the ones that make no sense.

use canary_judge::ScoreThresholds;

/// `--pass` and `--marginal` as score thresholds: finite, within 0–100, `marginal` at most
/// `pass` (equal is fine: no Marginal band).
///
/// # Errors
/// A message naming the option.
pub(crate) fn thresholds(pass: f64, marginal: f64) -> Result<ScoreThresholds, String> {
    for (option, value) in [("--pass", pass), ("--marginal", marginal)] {
        if !(0.0..=100.0).contains(&value) {
            return Err(format!(
                "{option} must be a score from 0 to 100, got {value}"
            ));
        }
    }
    if marginal > pass {
        return Err(format!(
            "--marginal ({marginal}) must not be above --pass ({pass})"
        ));
    }
    Ok(ScoreThresholds { pass, marginal })
}

/// Refuses `value` for `option` unless it is finite and `ok` holds; `wanted` says what is.
///
/// # Errors
/// `"{option} must be {wanted}, got {value}"`.
pub(crate) fn check(
    option: &str,
    value: f64,
    ok: impl Fn(f64) -> bool,
    wanted: &str,
) -> Result<(), String> {
    if value.is_finite() && ok(value) {
        Ok(())
    } else {
        Err(format!("{option} must be {wanted}, got {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_scores_in_order() {
        assert!(thresholds(95.0, 75.0).is_ok());
        assert!(thresholds(75.0, 75.0).is_ok());
        for (p, m, needle) in [
            (10.0, 90.0, "--marginal (90) must not be above --pass (10)"),
            (200.0, 75.0, "--pass must be a score from 0 to 100, got 200"),
            (
                95.0,
                f64::NAN,
                "--marginal must be a score from 0 to 100, got NaN",
            ),
            (
                95.0,
                -1.0,
                "--marginal must be a score from 0 to 100, got -1",
            ),
        ] {
            let e = thresholds(p, m).expect_err("refused");
            assert!(e.contains(needle), "{e}");
        }
        assert!(check("--x", f64::NAN, |_| true, "a number").is_err());
        assert!(check("--x", 2.0, |v| v > 0.0, "positive").is_ok());
    }
}
