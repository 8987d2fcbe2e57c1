//! Wire-format tests (filled in below).
