# Reference values for canary_judge::stats::rank_test from R's wilcox.test (two-sample,
# conf.int = TRUE, correct = TRUE). Writes fixtures/reference/r-wilcox.json.
#
# Run from the repository root:   Rscript scripts/r-reference/wilcox.R
# Needs only base R (no jsonlite): the JSON is written by hand, every double with %.17g so it
# reads back to the same bits. Inputs are generated with a seeded RNG and embedded, sorted
# ascending (wilcox.test does not depend on the order; the Rust API takes sorted samples).

out <- "fixtures/reference/r-wilcox.json"
set.seed(20240611)

num <- function(v) {
  if (!all(is.finite(v))) stop("non-finite value in a case")
  paste(sprintf("%.17g", v), collapse = ", ")
}

cases <- character(0)
add <- function(name, x, y, conf) {
  x <- sort(x)
  y <- sort(y)
  q <- function(...) suppressWarnings(wilcox.test(x, y, ...))
  two <- tryCatch(q(conf.int = TRUE, conf.level = conf), error = function(e) NULL)
  if (is.null(two)) stop(paste("R fails on case", name))
  gr <- q(alternative = "greater")
  ls <- q(alternative = "less")
  exact <- grepl("exact", two$method, fixed = TRUE)
  cases[[length(cases) + 1]] <<- paste0(
    "    {\n",
    "      \"name\": \"", name, "\",\n",
    "      \"x\": [", num(x), "],\n",
    "      \"y\": [", num(y), "],\n",
    "      \"conf_level\": ", num(conf), ",\n",
    "      \"exact\": ", if (exact) "true" else "false", ",\n",
    "      \"statistic\": ", num(unname(two$statistic)), ",\n",
    "      \"p_two_sided\": ", num(two$p.value), ",\n",
    "      \"p_greater\": ", num(gr$p.value), ",\n",
    "      \"p_less\": ", num(ls$p.value), ",\n",
    "      \"conf_int\": [", num(as.numeric(two$conf.int)), "],\n",
    "      \"estimate\": ", num(unname(two$estimate)), "\n",
    "    }")
}

# Tiny samples: 1, 2, 3 per side (exact branch; then with ties, normal branch).
add("tiny-1x1", 1.5, 0.25, 0.95)
add("tiny-1x2", 3, c(1, 2), 0.95)
add("tiny-2x1", c(-1, 4), 2.5, 0.98)
add("tiny-2x3", rnorm(2, 10, 2), rnorm(3, 10, 2), 0.95)
add("tiny-3x3-shift", rnorm(3, 12, 2), rnorm(3, 10, 2), 0.95)
add("tiny-3x2-negative", -rexp(3), -rexp(2), 0.98)
add("tiny-1x3-tie", 2, c(1, 2, 3), 0.95)
add("tiny-2x2-ties", c(1, 2), c(2, 3), 0.95)
add("tiny-3x3-ties-zeros", c(-1, 0, 0), c(0, 1, 1), 0.98)

# Exact branch: n, m < 50 and no ties.
add("exact-1x40", 0.5, rnorm(40), 0.95)
add("exact-10x12-shift", rnorm(10, 52, 5), rnorm(12, 50, 5), 0.95)
add("exact-20x15-noshift-98", rnorm(20, 50, 5), rnorm(15, 50, 5), 0.98)
add("exact-49x49-shift", rnorm(49, 21, 3), rnorm(49, 20, 3), 0.95)
add("exact-49x49-noshift-98", rnorm(49, 20, 3), rnorm(49, 20, 3), 0.98)
add("exact-49x30-negative", rnorm(49, -5, 2), rnorm(30, -6, 2), 0.95)
add("exact-5x45-far-apart", rnorm(5, 90, 1), rnorm(45, 10, 1), 0.95)

# Normal branch because of ties (small n).
add("ties-20x25-rounded-shift", round(rnorm(20, 12, 2)), round(rnorm(25, 10, 2)), 0.95)
add("ties-12x15-integers-zeros", sample(-3:3, 12, TRUE), sample(-3:3, 15, TRUE), 0.95)
add("ties-30x30-rounded-98", round(rnorm(30, 50, 4), 1), round(rnorm(30, 50, 4), 1), 0.98)
add("ties-8x40-halves", round(2 * rnorm(8, 3, 1)) / 2, round(2 * rnorm(40, 2, 1)) / 2, 0.95)

# Normal branch because n or m >= 50 (no ties).
add("normal-50x50-noties", rnorm(50, 30, 5), rnorm(50, 30, 5), 0.95)
add("normal-50x60-shift-98", rnorm(50, 33, 5), rnorm(60, 30, 5), 0.98)
add("normal-80x49-negative", rnorm(80, -20, 4), rnorm(49, -21, 4), 0.95)
add("normal-3x70", rnorm(3, 5, 1), rnorm(70, 5, 1), 0.95)

# Large samples.
add("large-200x200-shift", rnorm(200, 52, 10), rnorm(200, 50, 10), 0.95)
add("large-200x250-noshift-98", rnorm(200, 50, 10), rnorm(250, 50, 10), 0.98)
add("large-1000x1000-rounded-shift", round(100 * rlnorm(1000, 0, 0.25), 1),
    round(98 * rlnorm(1000, 0, 0.25), 1), 0.95)
add("large-1000x1000-rounded-noshift-98", round(rlnorm(1000, 3, 0.5)),
    round(rlnorm(1000, 3, 0.5)), 0.98)
add("large-1000x1200-noties", rnorm(1000, 10, 1), rnorm(1200, 10, 1), 0.95)

# Zeros and negatives in the normal branch.
add("zeros-60x60", c(rep(0, 25), round(rnorm(35), 2)), c(rep(0, 30), round(rnorm(30), 2)), 0.95)
add("zeros-negative-100x80-98", round(rnorm(100, -0.3, 1), 1), round(rnorm(80, 0, 1), 1), 0.98)

writeLines(c(
  "{",
  paste0("  \"generator\": \"scripts/r-reference/wilcox.R\","),
  paste0("  \"r_version\": \"", R.version.string, "\","),
  "  \"cases\": [",
  paste(cases, collapse = ",\n"),
  "  ]",
  "}"), out)
cat("wrote", length(cases), "cases to", out, "\n")
