# Reference values for canary_judge::stats::{quantile_interval, quantile_shift,
# order_statistic_ranks}: R's quantile(type = 7) and the equal-tailed binomial order-statistic
# ranks computed with pbinom. Run from the repository root:  Rscript scripts/r-reference/quantile.R
# Writes fixtures/reference/r-quantile.json. Base R only; %.17g; ranks are 1-based, null = none.

num <- function(v) {
  if (is.na(v)) return("null")
  sprintf("%.17g", v)
}
vec <- function(v) paste0("[", paste(vapply(v, num, ""), collapse = ", "), "]")

# Ranks (l, u) of the order statistics bounding the q-quantile of n values at level conf:
# l = largest l with P(B <= l-1) <= alpha, u = smallest u with P(B >= u) <= alpha, B ~ Bin(n, q).
ranks <- function(n, q, conf) {
  alpha <- (1 - conf) / 2
  pl <- pbinom(0:(n - 1), n, q)
  pu <- pbinom(0:(n - 1), n, q, lower.tail = FALSE)
  c(if (any(pl <= alpha)) max(which(pl <= alpha)) else NA,
    if (any(pu <= alpha)) min(which(pu <= alpha)) else NA)
}
interval <- function(x, q, conf) {
  r <- ranks(length(x), q, conf)
  list(estimate = unname(quantile(x, q, type = 7)), l = r[1], u = r[2],
       lower = if (is.na(r[1])) NA else x[r[1]], upper = if (is.na(r[2])) NA else x[r[2]])
}
iv_json <- function(iv) sprintf("{\"estimate\": %s, \"l\": %s, \"u\": %s, \"lower\": %s, \"upper\": %s}",
  num(iv$estimate), num(iv$l), num(iv$u), num(iv$lower), num(iv$upper))

set.seed(777)
samples <- list(
  list("lognormal 1", sort(rlnorm(1))),
  list("lognormal 5", sort(rlnorm(5))),
  list("lognormal 20", sort(rlnorm(20))),
  list("lognormal 60", sort(rlnorm(60))),
  list("exponential 100", sort(rexp(100))),
  list("lognormal 500", sort(rlnorm(500, 3, 0.8))),
  list("pareto-ish 2000", sort(1 / runif(2000)^0.5)),
  list("ties 50", sort(round(rlnorm(50), 1)))
)
qs <- c(0.5, 0.9, 0.95, 0.99)
confs <- c(0.9, 0.95, 0.99)
out <- character(0)
for (s in samples) {
  x <- s[[2]]
  for (q in qs) for (conf in confs) {
    out <- c(out, sprintf("{\"sample\": \"%s\", \"q\": %s, \"confidence\": %s, \"interval\": %s}",
                          s[[1]], num(q), num(conf), iv_json(interval(x, q, conf))))
  }
}
shifts <- list(
  list("lognormal 60 vs 60, +20%", sort(rlnorm(60) * 1.2), sort(rlnorm(60))),
  list("lognormal 500 vs 400", sort(rlnorm(500, 0.1)), sort(rlnorm(400))),
  list("exponential 30 vs 200", sort(rexp(30)), sort(rexp(200)))
)
shift_out <- character(0)
for (s in shifts) {
  for (q in c(0.5, 0.9, 0.99)) for (conf in c(0.9, 0.95)) {
    cv <- interval(s[[2]], q, sqrt(conf)); bv <- interval(s[[3]], q, sqrt(conf))
    shift_out <- c(shift_out, sprintf(
      "{\"name\": \"%s\", \"q\": %s, \"confidence\": %s, \"canary\": %s, \"baseline\": %s, \"estimate\": %s, \"lower\": %s, \"upper\": %s}",
      s[[1]], num(q), num(conf), iv_json(cv), iv_json(bv), num(cv$estimate - bv$estimate),
      num(cv$lower - bv$upper), num(cv$upper - bv$lower)))
  }
}
sample_json <- vapply(samples, function(s) sprintf("\"%s\": %s", s[[1]], vec(s[[2]])), "")
shift_json <- vapply(shifts, function(s) sprintf("\"%s\": {\"canary\": %s, \"baseline\": %s}",
                                                 s[[1]], vec(s[[2]]), vec(s[[3]])), "")
writeLines(paste0(
  sprintf("{\"generator\": \"scripts/r-reference/quantile.R\", \"r_version\": \"%s\",\n", R.version.string),
  "\"samples\": {", paste(sample_json, collapse = ",\n"), "},\n",
  "\"shift_samples\": {", paste(shift_json, collapse = ",\n"), "},\n",
  "\"intervals\": [\n", paste(out, collapse = ",\n"), "\n],\n",
  "\"shifts\": [\n", paste(shift_out, collapse = ",\n"), "\n]}"), "fixtures/reference/r-quantile.json")
cat("wrote", length(out), "interval cases and", length(shift_out), "shift cases\n")
