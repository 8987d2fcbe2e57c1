# Reference values for canary_judge::stats::ks_test from R's two-sample ks.test (two-sided).
# Run from the repository root:  Rscript scripts/r-reference/ks.R
# Writes fixtures/reference/r-ks.json. Base R only; samples are stored sorted, %.17g.

num <- function(v) {
  if (is.nan(v)) return("\"NaN\"")
  if (is.infinite(v)) return(if (v > 0) "\"Infinity\"" else "\"-Infinity\"")
  sprintf("%.17g", v)
}
vec <- function(v) paste0("[", paste(vapply(v, num, ""), collapse = ", "), "]")

set.seed(4242)
cases <- list(
  list("separated 5 x 5", c(0.1, 0.4, 0.7, 1.2, 1.5), c(2, 2.1, 2.5, 3.3, 4)),
  list("one each", 1, 2),
  list("one each, tied", 1, 1),
  list("small normal 10 x 12", rnorm(10), rnorm(12)),
  list("shift 0.5, 20 x 30", rnorm(20), rnorm(30, 0.5)),
  list("scale x2, 40 x 50", rnorm(40), rnorm(50, sd = 2)),
  list("unbalanced 3 x 200", rnorm(3), rnorm(200)),
  list("exact limit 99 x 101", rnorm(99), rnorm(101, 0.3)),
  list("ties, exact 30 x 40", round(rnorm(30), 1), round(rnorm(40, 0.3), 1)),
  list("heavy ties, exact 25 x 35", round(rexp(25)), round(rexp(35, 0.7))),
  list("all tied 4 x 6", rep(3, 4), rep(3, 6)),
  list("identical 15 x 15", sort(x15 <- rnorm(15)), x15),
  list("asymptotic 100 x 100 null", rnorm(100), rnorm(100)),
  list("asymptotic 200 x 150 shift", rnorm(200), rnorm(150, 0.25)),
  list("asymptotic 300 x 400 scale", rnorm(300), rnorm(400, sd = 1.5)),
  list("asymptotic 1000 x 800 lognormal", rlnorm(1000), rlnorm(800, 0.1)),
  list("asymptotic ties 150 x 120", round(rexp(150), 1), round(rexp(120) * 1.2, 1)),
  list("asymptotic separated 100 x 120", runif(100), runif(120, 2, 3)),
  list("asymptotic tiny D 500 x 500", sort(v <- rnorm(500)), v + 1e-9)
)

out <- character(0)
for (cs in cases) {
  x <- sort(cs[[2]]); y <- sort(cs[[3]])
  r <- suppressWarnings(ks.test(x, y))
  out <- c(out, sprintf(
    "{\"name\": \"%s\", \"statistic\": %s, \"p_value\": %s, \"exact\": %s,\n  \"x\": %s,\n  \"y\": %s}",
    cs[[1]], num(unname(r$statistic)), num(r$p.value), tolower(as.character(r$exact)), vec(x), vec(y)))
}
header <- sprintf("{\"generator\": \"scripts/r-reference/ks.R\", \"r_version\": \"%s\",\n \"cases\": [\n",
                  R.version.string)
writeLines(paste0(header, paste(out, collapse = ",\n"), "\n]}"), "fixtures/reference/r-ks.json")
cat("wrote", length(out), "KS cases\n")
