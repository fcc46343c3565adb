# Reference values for kmeta's core pooling (meta, confint, prediction interval).
# Writes core.json next to this script. Run: Rscript --vanilla core.R
# Iterative estimators are run with tight tolerances so the fixtures are accurate to
# far better than the 1e-5 the tests allow.
suppressMessages(library(metafor))
suppressMessages(library(jsonlite))

here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) ".")
tight <- list(threshold = 1e-11, tol = 1e-13, maxiter = 10000)
# Fisher scoring with tight threshold; if it oscillates, metafor's own remedy (step halving)
rma_tight <- function(...) {
  tryCatch(rma(..., control = tight),
           error = function(e) rma(..., control = c(tight, list(stepadj = 0.5))))
}

datasets <- list()
add <- function(name, yi, vi, source) {
  datasets[[name]] <<- list(yi = as.numeric(yi), vi = as.numeric(vi), source = source)
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add("bcg", d$yi, d$vi, "metadat dat.bcg (Colditz et al. 1994), log risk ratios")
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add("normand1999", d$yi, d$vi, "metadat dat.normand1999, mean differences in length of stay")
add("raudenbush1985", dat.raudenbush1985$yi, dat.raudenbush1985$vi,
    "metadat dat.raudenbush1985, standardized mean differences (teacher expectancy)")
add("hackshaw1998", dat.hackshaw1998$yi, dat.hackshaw1998$vi,
    "metadat dat.hackshaw1998, log odds ratios (passive smoking and lung cancer)")
d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
d <- d[!is.na(d$yi), ]
add("li2007", d$yi, d$vi, "metadat dat.li2007, log odds ratios (magnesium in myocardial infarction)")
d <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
add("hine1989", d$yi, d$vi, "metadat dat.hine1989, risk differences (lidocaine)")

# edge cases
add("k1", c(0.4), c(0.09), "single study")
add("k2", c(0.4, -0.1), c(0.09, 0.04), "two studies")
add("homogeneous", c(0.3, 0.35, 0.28, 0.31), c(0.5, 0.6, 0.4, 0.7), "Q far below its df: tau^2 = 0")

# seeded random datasets
set.seed(20261122)
for (k in c(2, 3, 4, 5, 6, 8, 10, 15, 20, 30)) {
  for (t2 in c(0, 0.1, 1)) {
    vi <- runif(k, 0.01, 1)
    yi <- rnorm(k, 0.3, sqrt(vi + t2))
    add(sprintf("rand_k%d_tau2_%g", k, t2), yi, vi, sprintf("random, seed 20261122, k=%d, tau2=%g", k, t2))
  }
}

methods <- c("FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML")
named <- c("bcg", "normand1999", "raudenbush1985", "hackshaw1998", "li2007", "hine1989")

fit_row <- function(name, method, test) {
  x <- datasets[[name]]
  r <- suppressWarnings(rma_tight(x$yi, x$vi, method = method, test = test))
  k <- length(x$yi)
  pi <- if (method != "FE" && k >= 3) predict(r, pi.type = "riley") else NULL
  list(dataset = name, method = method, test = test, k = k,
       estimate = as.numeric(r$beta), se = r$se, stat = r$zval, pval = r$pval,
       ci_low = r$ci.lb, ci_high = r$ci.ub, tau2 = r$tau2, i2 = r$I2, h2 = r$H2,
       q = r$QE, q_pval = r$QEp,
       pi_low = if (is.null(pi)) NA else pi$pi.lb, pi_high = if (is.null(pi)) NA else pi$pi.ub,
       weights = as.numeric(weights(r)))
}

fits <- list()
for (name in names(datasets)) {
  tests <- if (name %in% named || startsWith(name, "k")) c("z", "t", "knha", "adhoc") else c("z", "knha")
  if (name == "homogeneous") tests <- c("z", "t")
  for (m in methods) for (tt in tests) {
    if (name == "k1" && tt != "z") next  # metafor switches to z with a warning; tested separately
    fits[[length(fits) + 1]] <- fit_row(name, m, tt)
  }
}

ci_rows <- list()
for (name in names(datasets)) {
  if (length(datasets[[name]]$yi) < 2) next
  for (m in setdiff(methods, "FE")) for (lev in c(95, 90)) {
    x <- datasets[[name]]
    r <- rma_tight(x$yi, x$vi, method = m, level = lev)
    ci <- confint(r, control = list(tol = 1e-13, tau2.max = 1e4))$random
    ci_rows[[length(ci_rows) + 1]] <- list(
      dataset = name, method = m, level = lev / 100,
      tau2 = ci["tau^2", 1], tau2_low = ci["tau^2", 2], tau2_high = ci["tau^2", 3],
      tau_low = ci["tau", 2], tau_high = ci["tau", 3],
      i2_low = ci["I^2(%)", 2], i2_high = ci["I^2(%)", 3],
      h2_low = ci["H^2", 2], h2_high = ci["H^2", 3])
  }
}

# Random k = 6 data sets on which metafor's default REML (Fisher scoring, 100 steps)
# fails. The reference is metafor with step-halved scoring (stepadj = 0.5), checked
# against a direct maximisation of the restricted log-likelihood.
reml_ll <- function(t2, yi, vi) {
  w <- 1 / (vi + t2); mu <- sum(w * yi) / sum(w)
  -0.5 * sum(log(vi + t2)) - 0.5 * log(sum(w)) - 0.5 * sum(w * (yi - mu)^2)
}
hard <- list()
set.seed(1)
for (i in 1:4000) {
  vi <- runif(6, 0.01, 1)
  yi <- rnorm(6, 0, sqrt(vi + rexp(1)))
  msg <- tryCatch({ rma(yi, vi, method = "REML"); "" }, error = function(e) conditionMessage(e),
                  warning = function(w) "")
  if (msg == "") next
  r <- rma(yi, vi, method = "REML", control = list(stepadj = 0.5, maxiter = 100000, threshold = 1e-13))
  grid <- c(0, exp(seq(log(1e-6), log(100), length.out = 4000)))
  ll <- sapply(grid, reml_ll, yi = yi, vi = vi)
  j <- which.max(ll)
  opt <- optimize(reml_ll, interval = c(grid[max(1, j - 1)], grid[min(length(grid), j + 1)]),
                  yi = yi, vi = vi, maximum = TRUE, tol = 1e-14)
  stopifnot(abs(opt$maximum - r$tau2) < 1e-6)
  hard[[length(hard) + 1]] <- list(yi = yi, vi = vi, default_error = msg, tau2 = r$tau2,
                                  estimate = as.numeric(r$beta), se = r$se, tau2_optimize = opt$maximum)
}

out <- list(metafor_version = as.character(packageVersion("metafor")),
            datasets = datasets, fits = fits, confint = ci_rows, reml_hard = hard)
write_json(out, file.path(here, "core.json"), digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
cat("core.json:", length(fits), "fits,", length(ci_rows), "confint rows,", length(hard), "hard REML sets\n")
