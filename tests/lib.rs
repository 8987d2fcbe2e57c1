//! The integration tests, in one binary (as jiff does): the Kayenta conformance suite, the wire
//! format, properties and regressions.

mod conformance;
mod props;
mod regression;
mod stream;
mod wire;
