//! The integration tests, in one binary (as jiff does): the Kayenta conformance suite, the wire
//! format, properties and regressions, the improved judge, and streamed replay windows.

mod conformance;
mod props;
mod regression;
mod stream;
#[path = "../src/test_support.rs"]
mod test_support;
mod v1_judge;
mod wire;
