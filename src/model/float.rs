//! The wire policy for doubles: Kayenta's Jackson mapper writes non-finite values as the strings
//! `"NaN"`, `"Infinity"` and `"-Infinity"` and reads them back, so we do the same.
//!
//! serde_json on its own writes non-finite floats as `null` and refuses the strings; these helpers
//! are used with `#[serde(with = "…")]` on every `f64` field of the wire types.
//!
//! Reading accepts a JSON number, or a string holding `NaN`, `Infinity`, `+Infinity`, `-Infinity` or
//! a decimal number (Jackson coerces numeric strings too). `null` and anything else is an error.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use std::fmt;

/// Parses one of the strings Jackson accepts for a double.
///
/// Returns `None` for anything that is not `NaN`, `Infinity`, `+Infinity`, `-Infinity` or a plain
/// decimal number (Rust's own spellings such as `inf` are refused, as Jackson refuses them).
pub(crate) fn parse_java_double(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => {
            let t = s.trim();
            let plain = !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            if plain {
                t.parse::<f64>().ok()
            } else {
                None
            }
        }
    }
}

/// The string Jackson writes for a non-finite double, or `None` for a finite one.
pub(crate) fn java_non_finite(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("Infinity")
    } else if v == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

struct F64Visitor;

impl Visitor<'_> for F64Visitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or one of the strings \"NaN\", \"Infinity\", \"-Infinity\"")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_java_double(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

/// `#[serde(with = "float::lenient")]` for an `f64` field.
pub(crate) mod lenient {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match java_non_finite(*v) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_f64(*v),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_any(F64Visitor)
    }
}

/// `#[serde(with = "float::opt_lenient")]` for an `Option<f64>`: like [`lenient`], `None` as `null`.
pub(crate) mod opt_lenient {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => lenient::serialize(x, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        struct Opt;
        impl<'de> de::Visitor<'de> for Opt {
            type Value = Option<f64>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, \"NaN\", \"Infinity\", \"-Infinity\" or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Option<f64>, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Option<f64>, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<f64>, D::Error> {
                lenient::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(Opt)
    }
}

/// `#[serde(with = "float::series")]` for a `Vec<f64>` of metric values.
///
/// Elements are read straight into the vector (no intermediate `serde_json::Value`). A `null`
/// element is an error: Kayenta fails the whole judgement on it, and the error path names the index.
pub(crate) mod series {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&Wire(*x))?;
        }
        seq.end()
    }

    struct Wire(f64);

    impl serde::Serialize for Wire {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            lenient::serialize(&self.0, s)
        }
    }

    struct Element(f64);

    impl<'de> serde::Deserialize<'de> for Element {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(F64Visitor).map(Element)
        }
    }

    struct SeriesVisitor;

    impl<'de> Visitor<'de> for SeriesVisitor {
        type Value = Vec<f64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of numbers (\"NaN\", \"Infinity\", \"-Infinity\" allowed)")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<f64>, A::Error> {
            // JSON gives no size hint: start with room for a typical series (an hour of
            // minutes) rather than growing through 4, 8, 16, 32. Capped: a hint comes from the
            // input.
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(64).min(1 << 16));
            while let Some(Element(v)) = seq.next_element()? {
                out.push(v);
            }
            Ok(out)
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        d.deserialize_seq(SeriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_strings_parse() {
        assert!(parse_java_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_java_double("Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_java_double("1.5"), Some(1.5));
        assert_eq!(parse_java_double("inf"), None);
        assert_eq!(parse_java_double("nan"), None);
        assert_eq!(parse_java_double(""), None);
        assert_eq!(parse_java_double("abc"), None);
    }
}
