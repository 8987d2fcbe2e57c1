//! Numbers in words: how reasons print estimates, intervals and p-values.

/// `x` with 4 significant digits, without exponent for ordinary magnitudes (`812.3`, `0.004512`).
pub(crate) fn sig(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor();
    if !(-4.0..15.0).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3.0 - magnitude).max(0.0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A relative change as a signed percentage: `+12.4%`, `−3.0%`, `+∞%` for a zero baseline.
pub(crate) fn pct(rel: f64) -> String {
    if rel.is_infinite() {
        return if rel > 0.0 {
            "+∞%".into()
        } else {
            "−∞%".into()
        };
    }
    let v = rel * 100.0;
    if !v.is_finite() || v.abs() >= 1e6 {
        // Past a million percent (or overflowing to ∞ when scaled): digits, not 300 of them.
        let sign = if v > 0.0 { "+" } else { "−" };
        return format!("{sign}{}%", sig(v.abs()));
    }
    if v >= 0.0 || v > -0.05 {
        format!("+{:.1}%", v.abs())
    } else {
        format!("−{:.1}%", -v)
    }
}

/// A ratio: `×3.20`.
pub(crate) fn times(ratio: f64) -> String {
    if ratio.is_infinite() {
        "×∞".into()
    } else {
        format!("×{}", sig(ratio))
    }
}

/// A p-value: `0.0003`, `< 0.0001`.
pub(crate) fn pval(p: f64) -> String {
    if p < 1e-4 {
        "< 0.0001".into()
    } else {
        format!("= {}", sig(p))
    }
}

/// A confidence as a percentage label: `99%`, `97.5%`.
pub(crate) fn level(confidence: f64) -> String {
    let v = confidence * 100.0;
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}%")
    } else {
        format!("{}%", sig(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(sig(812.345), "812.3");
        assert_eq!(sig(0.0045123), "0.004512");
        assert_eq!(sig(100.0), "100");
        assert_eq!(sig(123456.0), "123456");
        assert_eq!(pct(0.1244), "+12.4%");
        assert_eq!(pct(-0.03), "−3.0%");
        assert_eq!(pct(f64::INFINITY), "+∞%");
        assert_eq!(pct(1e308), "+∞%", "overflows when scaled (was \"+inf%\")");
        assert_eq!(pct(5e4), "+5000000%");
        assert_eq!(pct(5e20), "+5.000e22%");
        assert_eq!(pct(-2.0), "−200.0%");
        assert_eq!(pval(0.00031), "= 0.00031");
        assert_eq!(pval(1e-7), "< 0.0001");
        assert_eq!(times(3.2), "×3.2");
        assert_eq!(level(0.99), "99%");
        assert_eq!(level(0.975), "97.5%");
    }
}
