# Reference values for canary_judge::stats::rate_test from R's poisson.test (two samples).
# Run from the repository root:  Rscript scripts/r-reference/rate.R
# Writes fixtures/reference/r-rate.json. Base R only (no jsonlite); numbers are written with
# %.17g so they read back bit for bit; non-finite numbers are the strings "Infinity" / "NaN".

num <- function(v) {
  if (is.na(v) && !is.nan(v)) return("null")
  if (is.nan(v)) return("\"NaN\"")
  if (is.infinite(v)) return(if (v > 0) "\"Infinity\"" else "\"-Infinity\"")
  sprintf("%.17g", v)
}
obj <- function(fields) {
  paste0("{", paste(sprintf("\"%s\": %s", names(fields), unlist(fields)), collapse = ", "), "}")
}

cases <- list(
  # baseline without errors, canary with errors: low and high traffic
  c(3, 100, 0, 100), c(5, 1000, 0, 10000), c(1, 50, 0, 5000),
  c(50, 1e6, 0, 1e6), c(1000, 1e7, 0, 1e7), c(250000, 1e8, 0, 3e8),
  # canary without errors
  c(0, 1000, 7, 1000), c(0, 1e6, 1, 2e6), c(0, 10, 400, 1e4),
  # equal rates
  c(10, 1000, 10, 1000), c(100, 1e5, 1000, 1e6), c(1, 1, 1, 1), c(7, 3, 14, 6),
  # big counts (1e6 and beyond)
  c(1000000, 1e9, 1000000, 1e9), c(1001000, 1e9, 1000000, 1e9), c(1000000, 1e8, 2000000, 3e8),
  c(10000000, 5e9, 9990000, 5e9), c(1000000, 1e9, 1, 1e9), c(3, 1e9, 2000000, 1e9),
  # unequal exposures
  c(30, 1e4, 100, 1e5), c(12, 3700, 40, 22000), c(2, 0.5, 17, 13.25), c(41, 123.456, 3, 7.89),
  c(1, 1e-3, 1, 1e3), c(5000, 2e5, 4900, 1.9e5)
)

set.seed(20240521)
for (i in 1:30) {
  lambda <- 10^runif(1, 0, 4)
  t1 <- 10^runif(1, 2, 6); t0 <- 10^runif(1, 2, 6)
  r <- exp(rnorm(1, 0, 0.5))
  x1 <- rpois(1, lambda * t1 / 1e4 * r); x0 <- rpois(1, lambda * t0 / 1e4)
  if (x1 + x0 == 0) x1 <- 1
  cases[[length(cases) + 1]] <- c(x1, t1, x0, t0)
}

out <- character(0)
for (cs in cases) {
  for (conf in c(0.95, 0.98, 0.99)) {
    x <- c(cs[1], cs[3]); t <- c(cs[2], cs[4])
    two <- poisson.test(x, t, conf.level = conf)
    gt <- poisson.test(x, t, conf.level = conf, alternative = "greater")
    ls <- poisson.test(x, t, conf.level = conf, alternative = "less")
    out <- c(out, obj(list(
      canary_events = sprintf("%.0f", cs[1]), canary_exposure = num(cs[2]),
      baseline_events = sprintf("%.0f", cs[3]), baseline_exposure = num(cs[4]),
      confidence = num(conf),
      ratio = num(unname(two$estimate)),
      lower = num(two$conf.int[1]), upper = num(two$conf.int[2]),
      p_value = num(two$p.value), p_greater = num(gt$p.value), p_less = num(ls$p.value))))
  }
}

header <- sprintf("{\"generator\": \"scripts/r-reference/rate.R\", \"r_version\": \"%s\",\n \"cases\": [\n",
                  R.version.string)
writeLines(paste0(header, paste(out, collapse = ",\n"), "\n]}"), "fixtures/reference/r-rate.json")
cat("wrote", length(out), "rate cases\n")
