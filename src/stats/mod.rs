//! Statistics, written to reproduce Kayenta's binary64 results (spec §4–§6).
//!
//! Every function here is pure, documents what it does with empty input, NaN and ties, and never
//! panics on data. Bit-exactness notes are given where Kayenta's results depend on the order of
//! floating-point operations.

mod binomial;
mod effect_size;
mod ks_test;
mod mann_whitney;
mod normal;
mod outliers;
mod percentile;
mod quantile_ci;
mod rank;
mod rank_sum;
pub mod rank_test;
mod rate_test;
mod sample;
mod sequential;
mod summary;
mod zeroin;

pub use effect_size::{cles, cohen_d, mean_ratio, ratio_of_means};
pub use ks_test::{ks_test, KsTest, KsTestError, KS_EXACT_LIMIT};
pub use mann_whitney::{
    kayenta_interval, kayenta_interval_direct, wilcoxon_z, wilcoxon_z_direct, MannWhitneyInterval,
};
pub use normal::{erf_inv, normal_quantile};
pub(crate) use outliers::iqr_fences as outliers_fences;
pub use outliers::{iqr_outliers, ksigma_outliers};
pub use percentile::{percentile, percentile_no_overflow};
pub use quantile_ci::{
    order_statistic_ranks, quantile_interval, quantile_shift, QuantileError, QuantileInterval,
    QuantileShift,
};
pub use rank::average_ranks;
pub use rank_test::{kth_pairwise_difference, rank_test, RankTest, RankTestError, RankTestSide};
pub use rate_test::{rate_test, RateTest, RateTestError, RATE_TEST_MAX_EVENTS};
pub use sample::SortedSample;
pub use sequential::{
    quantile_bounds, quantile_increase_ln_e, quantile_mixture_ln_e, CountInterval, QuantileBounds,
    RateRatioSequence, RatioInterval, SequentialError, Side, QUANTILE_PRIOR_CONCENTRATION,
    RATE_PRIOR_SHAPE,
};
pub use summary::{mean, summary_stats, summary_stats_pair, variance};
pub use zeroin::{zeroin, ZeroinOutcome, ZEROIN_MAX_ITERATIONS, ZEROIN_TOLERANCE};

use thiserror::Error;

/// Why a statistic could not be computed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum StatsError {
    /// A sample was empty where at least one value is needed.
    #[error("the {which} sample is empty")]
    EmptySample {
        /// `x` or `y` (experiment or control).
        which: &'static str,
    },
    /// A value was NaN where NaN was not allowed.
    #[error("the sample contains NaN")]
    NaN,
    /// The rank-sum variance is zero: every observation is tied at a shift the root search tried
    /// (Kayenta: "cannot compute confidence interval when all observations are tied").
    #[error("cannot compute confidence interval when all observations are tied")]
    AllTied,
    /// The difference of two sample values overflowed to ±∞, so the interval is undefined.
    #[error("the samples' differences overflow a double; the interval is undefined")]
    Overflow,
    /// A percentile outside (0, 100] was asked for.
    #[error("percentile {0} is outside (0, 100]")]
    PercentileOutOfRange(f64),
    /// A probability outside (0, 1) was given to a quantile function.
    #[error("probability {0} is outside (0, 1)")]
    ProbabilityOutOfRange(f64),
}
