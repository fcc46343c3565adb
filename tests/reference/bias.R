# Reference values for kmeta.begg, kmeta.egger and kmeta.trimfill (metafor ranktest,
# regtest, trimfill; R's cor.test for the normal approximations of Kendall's tau).
# Writes bias.json next to this script. Run: Rscript --vanilla bias.R
suppressMessages(library(metafor))
suppressMessages(library(jsonlite))

here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) ".")
tight <- list(threshold = 1e-11, tol = 1e-13, maxiter = 10000)
rma_tight <- function(...) {
  args <- list(...)
  tryCatch(suppressWarnings(do.call(rma, c(args, list(control = tight)))),
           error = function(e) suppressWarnings(do.call(rma, c(args, list(control = c(tight, list(stepadj = 0.5)))))))
}
num <- function(x) if (is.null(x)) NA else as.numeric(x)

datasets <- list()
add <- function(name, yi, vi, ni = NULL, source = "") {
  datasets[[name]] <<- list(yi = as.numeric(yi), vi = as.numeric(vi), ni = if (is.null(ni)) NA else as.numeric(ni),
                            source = source)
}
d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
add("egger2001", d$yi, d$vi, d$n1i + d$n2i, "metadat dat.egger2001 (magnesium), log odds ratios")
add("hackshaw1998", dat.hackshaw1998$yi, dat.hackshaw1998$vi, NULL, "metadat dat.hackshaw1998, log odds ratios")
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add("bcg", d$yi, d$vi, with(dat.bcg, tpos + tneg + cpos + cneg), "metadat dat.bcg, log risk ratios")
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add("normand1999", d$yi, d$vi, dat.normand1999$n1i + dat.normand1999$n2i, "metadat dat.normand1999, mean differences")
add("raudenbush1985", dat.raudenbush1985$yi, dat.raudenbush1985$vi,
    dat.raudenbush1985$n1i + dat.raudenbush1985$n2i, "metadat dat.raudenbush1985, standardized mean differences")
d <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
add("hine1989", d$yi, d$vi, dat.hine1989$n1i + dat.hine1989$n2i, "metadat dat.hine1989, risk differences")
set.seed(20261125)
for (i in 1:6) {
  vi <- runif(6, 0.05, 1.5)
  yi <- rnorm(6, -1.8 - 1.2 * (i %% 2) * sqrt(vi), sqrt(vi + 0.2))
  add(sprintf("rand_k6_%d", i), yi, vi, round(40 / vi), "random, seed 20261125, k = 6 (Orhurhu-like)")
}
vi <- c(0.2, 0.2, 0.5, 0.8, 0.3, 1.1)
add("k6_tied_vi", rnorm(6, -1.5, sqrt(vi + 0.1)), vi, NULL, "random, two studies with equal variances")
for (k in c(3, 4, 10, 60)) {
  vi <- runif(k, 0.02, 0.6)
  add(sprintf("rand_k%d", k), rnorm(k, 0.2 + 0.8 * sqrt(vi), sqrt(vi + 0.05)), vi, round(20 / vi),
      sprintf("random, seed 20261125, k = %d", k))
}

# ------------------------------------------------------------------ Begg
ranktests <- list()
for (nm in names(datasets)) {
  x <- datasets[[nm]]
  rt <- suppressWarnings(ranktest(x$yi, x$vi))
  rt_n <- suppressWarnings(ranktest(x$yi, x$vi, exact = FALSE))
  wi <- 1 / x$vi
  ystar <- (x$yi - sum(wi * x$yi) / sum(wi)) / sqrt(x$vi - 1 / sum(wi))
  cc <- suppressWarnings(cor.test(ystar, x$vi, method = "kendall", exact = FALSE, continuity = TRUE))
  ranktests[[nm]] <- list(tau = as.numeric(rt$tau), pval = rt$pval, pval_normal = rt_n$pval,
                          pval_cc = cc$p.value, ties = length(unique(x$vi)) < length(x$vi) ||
                            length(unique(ystar)) < length(ystar))
}

# ------------------------------------------------------------------ Egger
regtests <- list()
for (nm in names(datasets)) {
  x <- datasets[[nm]]
  preds <- c("sei", "vi")
  if (!all(is.na(x$ni))) preds <- c(preds, "ni", "ninv", "sqrtni", "sqrtninv")
  for (pr in preds) {
    rt <- if (all(is.na(x$ni))) regtest(x$yi, x$vi, model = "lm", predictor = pr, level = 95)
          else regtest(x$yi, x$vi, ni = x$ni, model = "lm", predictor = pr, level = 95)
    cf <- coef(summary(rt$fit))
    regtests[[length(regtests) + 1]] <- list(
      dataset = nm, model = "lm", predictor = pr, method = NA, test = NA, stat = rt$zval, pval = rt$pval,
      df = rt$dfs, est = num(rt$est), ci_low = num(rt$ci.lb), ci_high = num(rt$ci.ub),
      bias = cf[2, 1], bias_se = cf[2, 2], intercept = cf[1, 1], intercept_se = cf[1, 2])
  }
  if (length(x$yi) >= 4) for (m in c("FE", "DL", "REML")) for (tt in c("z", "knha")) {
    fit <- rma_tight(yi = x$yi, vi = x$vi, method = m, test = tt)
    rt <- suppressWarnings(regtest(fit, model = "rma", predictor = "sei"))
    regtests[[length(regtests) + 1]] <- list(
      dataset = nm, model = "rma", predictor = "sei", method = m, test = tt, stat = rt$zval, pval = rt$pval,
      df = num(rt$dfs), est = num(rt$est), ci_low = num(rt$ci.lb), ci_high = num(rt$ci.ub),
      bias = as.numeric(rt$fit$beta)[2], bias_se = rt$fit$se[2], intercept = as.numeric(rt$fit$beta)[1],
      intercept_se = rt$fit$se[1])
  }
}

# ------------------------------------------------------------------ trim and fill
trimfills <- list()
for (nm in names(datasets)) {
  x <- datasets[[nm]]
  for (m in c("FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML")) for (est in c("L0", "R0", "Q0"))
    for (sd in c("auto", "left", "right")) {
      if (sd != "auto" && !(m %in% c("FE", "REML"))) next
      fit <- rma_tight(yi = x$yi, vi = x$vi, method = m)
      # trimfill() refits without the model's control settings unless they are passed on
      tf <- tryCatch(suppressWarnings(if (sd == "auto") trimfill(fit, estimator = est, control = tight)
                                      else trimfill(fit, estimator = est, side = sd, control = tight)),
                     error = function(e) conditionMessage(e))
      if (is.character(tf)) {
        trimfills[[length(trimfills) + 1]] <- list(dataset = nm, method = m, estimator = est, side_arg = sd,
                                                   error = tf)
        next
      }
      trimfills[[length(trimfills) + 1]] <- list(
        dataset = nm, method = m, estimator = est, side_arg = sd, error = NA,
        k0 = tf$k0, se_k0 = tf$se.k0, p_k0 = num(tf$p.k0), side = tf$side,
        estimate = as.numeric(tf$beta), se = tf$se, ci_low = tf$ci.lb, ci_high = tf$ci.ub, pval = tf$pval,
        tau2 = tf$tau2, filled_yi = as.numeric(tf$yi[tf$fill]), filled_vi = as.numeric(tf$vi[tf$fill]))
    }
}

out <- list(metafor_version = as.character(packageVersion("metafor")), datasets = datasets,
            ranktest = ranktests, regtest = regtests, trimfill = trimfills)
write_json(out, file.path(here, "bias.json"), digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE)
cat("bias.json:", length(ranktests), "rank tests,", length(regtests), "regression tests,",
    length(trimfills), "trim-and-fill analyses\n")
