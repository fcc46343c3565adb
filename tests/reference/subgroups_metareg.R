# Reference values for kmeta.metareg and kmeta.subgroups (metafor rma.uni with mods,
# permutest, and the two ways of testing subgroup differences).
# Writes subgroups_metareg.json next to this script. Run: Rscript --vanilla subgroups_metareg.R
suppressMessages(library(metafor))
suppressMessages(library(jsonlite))

here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) ".")
tight <- list(threshold = 1e-11, tol = 1e-13, maxiter = 10000)
# Fisher scoring with a tight threshold; if it oscillates, metafor's own remedy (step halving)
# (do.call passes values, so metafor's lookup of its arguments in 'data' cannot fail)
rma_tight <- function(...) {
  args <- list(...)
  tryCatch(suppressWarnings(do.call(rma, c(args, list(control = tight)))),
           error = function(e) suppressWarnings(do.call(rma, c(args, list(control = c(tight, list(stepadj = 0.5)))))))
}
methods <- c("FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML")
tests <- c("z", "t", "knha", "adhoc")
num <- function(x) if (is.null(x)) NA else as.numeric(x)

# ------------------------------------------------------------------ meta-regression cases
cases <- list()
add_case <- function(name, yi, vi, mods, formula, intercept = TRUE, source = "") {
  cases[[name]] <<- list(yi = as.numeric(yi), vi = as.numeric(vi), mods = mods,
                         formula = formula, intercept = intercept, source = source)
}
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
src_bcg <- "metadat dat.bcg (Colditz et al. 1994), log risk ratios"
add_case("bcg_ablat", bcg$yi, bcg$vi, list(ablat = bcg$ablat), "~ ablat", source = src_bcg)
add_case("bcg_year", bcg$yi, bcg$vi, list(year = bcg$year), "~ year", source = src_bcg)
add_case("bcg_ablat_year", bcg$yi, bcg$vi, list(ablat = bcg$ablat, year = bcg$year), "~ ablat + year",
         source = src_bcg)
add_case("bcg_alloc", bcg$yi, bcg$vi, list(alloc = bcg$alloc), "~ factor(alloc)", source = src_bcg)
add_case("bcg_ablat_alloc", bcg$yi, bcg$vi, list(ablat = bcg$ablat, alloc = bcg$alloc),
         "~ ablat + factor(alloc)", source = src_bcg)
add_case("bcg_alloc_noint", bcg$yi, bcg$vi, list(alloc = bcg$alloc), "~ factor(alloc) - 1",
         intercept = FALSE, source = src_bcg)
add_case("bcg_ablat_noint", bcg$yi, bcg$vi, list(ablat = bcg$ablat), "~ ablat - 1",
         intercept = FALSE, source = src_bcg)
r85 <- dat.raudenbush1985
src_r85 <- "metadat dat.raudenbush1985 (teacher expectancy), standardized mean differences"
add_case("raudenbush_weeks", r85$yi, r85$vi, list(weeks = r85$weeks), "~ weeks", source = src_r85)
add_case("raudenbush_weeks_tester", r85$yi, r85$vi, list(weeks = r85$weeks, tester = r85$tester),
         "~ weeks + factor(tester)", source = src_r85)
h98 <- dat.hackshaw1998
add_case("hackshaw_year_design", h98$yi, h98$vi, list(year = h98$year, design = h98$design),
         "~ year + factor(design)", source = "metadat dat.hackshaw1998, log odds ratios")
n99 <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
              data = dat.normand1999)
add_case("normand_n", n99$yi, n99$vi, list(n = n99$n1i + n99$n2i), "~ n",
         source = "metadat dat.normand1999, mean differences; moderator total sample size")

set.seed(20261123)
rand_case <- function(name, k, make_mods, formula, tau2 = 0.3) {
  vi <- runif(k, 0.05, 1)
  mods <- make_mods(k)
  yi <- rnorm(k, -1.5 + 0.3 * seq_len(k) / k, sqrt(vi + tau2))
  add_case(name, yi, vi, mods, formula, source = sprintf("random, seed 20261123, k=%d", k))
}
rand_case("rand_k3_x", 3, function(k) list(x = round(runif(k, 0, 10), 2)), "~ x")
rand_case("rand_k6_bin33", 6, function(k) list(g = c("high", "low", "high", "low", "high", "low")),
          "~ factor(g)")
rand_case("rand_k6_bin24", 6, function(k) list(g = c("CRPS", "other", "other", "CRPS", "other", "other")),
          "~ factor(g)")
rand_case("rand_k6_x", 6, function(k) list(dose = round(runif(k, 100, 800))), "~ dose")
rand_case("rand_k10_x1x2", 10, function(k) list(x1 = round(rnorm(k), 3), x2 = round(runif(k), 3)),
          "~ x1 + x2", tau2 = 1)
rand_case("rand_k20_x_f3", 20, function(k) list(x = round(rnorm(k, 50, 10), 1),
                                              f = sample(c("a", "b", "c"), k, replace = TRUE)),
          "~ x + factor(f)", tau2 = 0.05)
rand_case("rand_k8_homog", 8, function(k) list(x = 1:8), "~ x", tau2 = 0)

fit_case <- function(cs, method, test) {
  d <- as.data.frame(cs$mods, stringsAsFactors = FALSE)
  d$yi <- cs$yi
  d$vi <- cs$vi
  r <- rma_tight(yi = d$yi, vi = d$vi, mods = as.formula(cs$formula), data = d, method = method, test = test)
  list(estimate = as.numeric(r$beta), se = r$se, stat = r$zval, pval = r$pval,
       ci_low = r$ci.lb, ci_high = r$ci.ub, vcov = as.numeric(r$vb),
       tau2 = r$tau2, i2 = r$I2, h2 = r$H2, r2 = num(r$R2),
       qe = r$QE, qe_pval = r$QEp, qm = r$QM, qm_df = r$QMdf[1], qm_df2 = num(r$QMdf[2]),
       qm_pval = r$QMp, s2w = r$s2w, weights = as.numeric(weights(r)),
       hat = as.numeric(hatvalues(r)), coef_names = rownames(r$beta), fitted = as.numeric(fitted(r)),
       tau2_re = rma_tight(yi = d$yi, vi = d$vi, method = method)$tau2)
}
fits <- list()
for (nm in names(cases)) for (m in methods) for (tt in tests) {
  res <- fit_case(cases[[nm]], m, tt)
  fits[[length(fits) + 1]] <- c(list(case = nm, method = m, test = tt), res)
}

# Random k = 6 data sets with one moderator on which metafor's default REML (Fisher
# scoring, 100 steps) stops with an error; the reference uses step halving and is
# checked against a direct maximisation of the restricted log-likelihood.
reml_ll <- function(t2, yi, vi, Xm) {
  W <- diag(1 / (vi + t2)); A <- t(Xm) %*% W %*% Xm
  b <- solve(A, t(Xm) %*% W %*% yi); r <- yi - Xm %*% b
  -0.5 * sum(log(vi + t2)) - 0.5 * determinant(A)$modulus[1] - 0.5 * sum(r^2 / (vi + t2))
}
cat("fits done", proc.time()[3], "\n")
hard <- list()
set.seed(2)
for (i in 1:3000) {  # (the 2003rd and 2807th draws fail; searching longer is slow)
  if (length(hard) >= 2) break
  vi <- runif(6, 0.01, 1)
  x <- runif(6)
  yi <- rnorm(6, x, sqrt(vi + rexp(1)))
  msg <- tryCatch({ rma(yi, vi, mods = ~ x, method = "REML"); "" }, error = function(e) conditionMessage(e),
                  warning = function(w) "")
  if (msg == "") next
  r <- rma(yi, vi, mods = ~ x, method = "REML",
           control = list(stepadj = 0.5, maxiter = 100000, threshold = 1e-13))
  X <- cbind(1, x)
  grid <- c(0, exp(seq(log(1e-6), log(100), length.out = 4000)))
  ll <- sapply(grid, reml_ll, yi = yi, vi = vi, Xm = X)
  j <- which.max(ll)
  opt <- optimize(reml_ll, interval = c(grid[max(1, j - 1)], grid[min(length(grid), j + 1)]),
                  yi = yi, vi = vi, Xm = X, maximum = TRUE, tol = 1e-14)
  stopifnot(abs(opt$maximum - r$tau2) < 1e-6)
  hard[[length(hard) + 1]] <- list(yi = yi, vi = vi, x = x, default_error = msg, tau2 = r$tau2,
                                  estimate = as.numeric(r$beta), se = r$se, tau2_optimize = opt$maximum)
}

cat("hard REML sets:", length(hard), proc.time()[3], "\n")
# ------------------------------------------------------------------ permutation tests
perm_rows <- list()
# every estimator/test pair on designs with few distinct permutations; the 720
# permutations of a continuous moderator with k = 6 for two pairs only (they are slow in R)
perm_specs <- list()
for (nm in c("rand_k6_bin33", "rand_k6_bin24", "rand_k3_x", "rand_k6_intercept_only"))
  for (m in c("FE", "DL", "REML")) for (tt in c("z", "knha")) perm_specs[[length(perm_specs) + 1]] <- c(nm, m, tt)
perm_specs[[length(perm_specs) + 1]] <- c("rand_k6_x", "DL", "z")
perm_specs[[length(perm_specs) + 1]] <- c("rand_k6_x", "REML", "knha")
for (spec in perm_specs) {
  nm <- spec[1]; m <- spec[2]; tt <- spec[3]
  if (nm == "rand_k6_intercept_only") {
    cs <- cases[["rand_k6_x"]]
    r <- rma_tight(cs$yi, cs$vi, method = m, test = tt)
  } else {
    cs <- cases[[nm]]
    d <- as.data.frame(cs$mods, stringsAsFactors = FALSE); d$yi <- cs$yi; d$vi <- cs$vi
    r <- rma_tight(yi = d$yi, vi = d$vi, mods = as.formula(cs$formula), data = d, method = m, test = tt)
  }
  pt <- suppressWarnings(permutest(r, iter = 1000, progbar = FALSE))
  stopifnot(pt$exact.iter <= 1000)
  perm_rows[[length(perm_rows) + 1]] <- list(case = nm, method = m, test = tt, exact_iter = pt$exact.iter,
                                             pval = as.numeric(pt$pval), qm_pval = pt$QMp)
}

# ------------------------------------------------------------------ subgroups
sg_cases <- list()
add_sg <- function(name, yi, vi, groups, source) {
  sg_cases[[name]] <<- list(yi = as.numeric(yi), vi = as.numeric(vi), groups = groups, source = source)
}
add_sg("bcg_alloc", bcg$yi, bcg$vi, bcg$alloc, src_bcg)
add_sg("raudenbush_tester", r85$yi, r85$vi, r85$tester, src_r85)
add_sg("hackshaw_design", h98$yi, h98$vi, h98$design, "metadat dat.hackshaw1998, log odds ratios")
set.seed(20261124)
for (spec in list(list("k6_33", c("high", "low", "low", "high", "high", "low")),
                  list("k6_24", c("CRPS", "other", "other", "CRPS", "other", "other")),
                  list("k6_222", c("neuropathic", "mixed", "nociceptive", "mixed", "neuropathic", "nociceptive")),
                  list("k6_15", c("a", "b", "b", "b", "b", "b")),
                  list("k7_34", c("in", "in", "out", "in", "out", "out", "in")))) {
  k <- length(spec[[2]])
  vi <- runif(k, 0.05, 1.2)
  yi <- rnorm(k, -1.8, sqrt(vi + 0.4))
  add_sg(paste0("rand_", spec[[1]]), yi, vi, spec[[2]], "random, seed 20261124 (Orhurhu-like: 6 trials)")
}

sg_rows <- list()
for (nm in names(sg_cases)) for (m in methods) for (tt in tests) {
  cs <- sg_cases[[nm]]
  g <- cs$groups
  levs <- unique(g)
  per <- list()
  est <- c(); sei <- c()
  for (lv in levs) {
    s <- g == lv
    ttg <- if (sum(s) == 1) "z" else tt
    r <- rma_tight(cs$yi[s], cs$vi[s], method = m, test = ttg)
    per[[lv]] <- list(k = sum(s), estimate = as.numeric(r$beta), se = r$se, ci_low = r$ci.lb,
                      ci_high = r$ci.ub, pval = r$pval, tau2 = r$tau2, i2 = r$I2, q = r$QE)
    est <- c(est, as.numeric(r$beta)); sei <- c(sei, r$se)
  }
  between <- rma(est, sei = sei, method = "FE")
  d <- data.frame(yi = cs$yi, vi = cs$vi, g = g)
  mr <- rma_tight(yi = d$yi, vi = d$vi, mods = ~ factor(g), data = d, method = m, test = tt)
  cm <- rma_tight(yi = d$yi, vi = d$vi, mods = ~ factor(g) - 1, data = d, method = m, test = tt)
  lvl <- sub("^factor\\(g\\)", "", rownames(cm$beta))
  common_groups <- list()
  for (j in seq_along(lvl)) {
    common_groups[[lvl[j]]] <- list(estimate = as.numeric(cm$beta)[j], se = cm$se[j], ci_low = cm$ci.lb[j],
                                    ci_high = cm$ci.ub[j], pval = cm$pval[j], stat = cm$zval[j])
  }
  sg_rows[[length(sg_rows) + 1]] <- list(
    case = nm, method = m, test = tt, separate = per,
    separate_q = between$QE, separate_df = length(levs) - 1, separate_p = between$QEp,
    common_qm = mr$QM, common_df = mr$QMdf[1], common_df2 = num(mr$QMdf[2]), common_p = mr$QMp,
    common_tau2 = mr$tau2, common_qe = mr$QE, common_i2 = mr$I2, common_groups = common_groups)
}

out <- list(metafor_version = as.character(packageVersion("metafor")),
            cases = cases, fits = fits, reml_hard = hard, permutest = perm_rows,
            subgroup_cases = sg_cases, subgroups = sg_rows)
write_json(out, file.path(here, "subgroups_metareg.json"), digits = NA, auto_unbox = TRUE, na = "null",
           pretty = FALSE)
cat("subgroups_metareg.json:", length(fits), "meta-regression fits,", length(hard), "hard REML sets,",
    length(perm_rows), "permutation tests,", length(sg_rows), "subgroup analyses\n")
