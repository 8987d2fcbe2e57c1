//! commons-math `Precision.round(x, scale)` with `HALF_UP`: decimal rounding of the double's
//! shortest decimal text, not of its binary value.

/// Rounds `x` to `scale` decimals, half away from zero, on the shortest decimal representation
/// that reads back as `x` (what Java's `Double.toString` gives from JDK 19 on, and in practice
/// before). So `2.675` → `2.68` and `33.335` → `33.34`, where rounding the binary value would give
/// 2.67 and 33.33.
///
/// # Edge cases
/// - NaN and ±∞ are returned unchanged;
/// - a result of zero keeps the sign of `x` (`-0.001` → `-0.0`), as commons-math does;
/// - `scale` may exceed the digits present: `x` is returned unchanged.
///
/// ```
/// use canary_judge::judge::round_half_up;
/// assert_eq!(round_half_up(2.675, 2), 2.68);
/// assert_eq!(round_half_up(33.335, 2), 33.34);
/// assert_eq!(round_half_up(33.333333333333336, 2), 33.33);
/// assert_eq!(round_half_up(-2.675, 2), -2.68);
/// assert!(round_half_up(f64::NAN, 2).is_nan());
/// ```
pub fn round_half_up(x: f64, scale: u32) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    // "d.ddde±N": the shortest round-trip digits, from Rust's formatter.
    let text = format!("{:e}", x.abs());
    let (mantissa, exponent) = match text.split_once('e') {
        Some(parts) => parts,
        None => return x,
    };
    let Ok(exponent) = exponent.parse::<i64>() else {
        return x;
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    // The value is 0.d1d2d3… × 10^(exponent + 1): keep exponent + 1 + scale digits.
    let keep = exponent + 1 + i64::from(scale);
    if keep >= digits.len() as i64 {
        return x;
    }
    let mut kept: Vec<u8> = if keep > 0 {
        digits[..keep as usize].to_vec()
    } else {
        Vec::new()
    };
    let first_dropped = if keep >= 0 {
        digits[keep as usize]
    } else {
        b'0'
    };
    if first_dropped >= b'5' {
        // Add one unit in the last kept place, carrying.
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    if kept.is_empty() {
        return 0.0 * x;
    }
    let text = format!("{}e-{}", std::str::from_utf8(&kept).unwrap_or("0"), scale);
    let magnitude: f64 = text.parse().unwrap_or(f64::NAN);
    if magnitude == 0.0 {
        0.0 * x
    } else {
        magnitude.copysign(x)
    }
}

#[cfg(test)]
mod tests {
    use super::round_half_up;

    #[test]
    fn decimal_half_up() {
        let cases = [
            (33.335, 33.34),
            (2.675, 2.68),
            (2.665, 2.67),
            (99.995, 100.0),
            (0.005, 0.01),
            (0.004999, 0.0),
            (0.0049, 0.0),
            (100.0, 100.0),
            (33.333333333333336, 33.33),
            (66.66666666666667, 66.67),
            (5.0, 5.0),
            (1e-10, 0.0),
            (123456789.125, 123456789.13),
            (-1.005, -1.01),
        ];
        for (x, want) in cases {
            assert_eq!(round_half_up(x, 2), want, "round({x})");
        }
        assert!(round_half_up(-0.001, 2).is_sign_negative());
        assert_eq!(round_half_up(f64::INFINITY, 2), f64::INFINITY);
    }
}
