# Reference values for kmeta.leave_one_out, kmeta.cumulative and kmeta.influence
# (metafor leave1out, cumul, influence, baujat). Writes sensitivity.json next to this
# script. Run: Rscript --vanilla sensitivity.R
suppressMessages(library(metafor))
suppressMessages(library(jsonlite))

here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) ".")
tight <- list(threshold = 1e-11, tol = 1e-13, maxiter = 10000)
rma_tight <- function(...) {
  args <- list(...)
  tryCatch(suppressWarnings(do.call(rma, c(args, list(control = tight)))),
           error = function(e) suppressWarnings(do.call(rma, c(args, list(control = c(tight, list(stepadj = 0.5)))))))
}
pdf(NULL)  # baujat() draws; nothing is kept

datasets <- list()
add <- function(name, yi, vi, year = NULL, mods = NULL, source = "") {
  datasets[[name]] <<- list(yi = as.numeric(yi), vi = as.numeric(vi),
                            year = if (is.null(year)) NA else as.numeric(year), mods = mods, source = source)
}
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add("bcg", d$yi, d$vi, dat.bcg$year, list(ablat = dat.bcg$ablat), "metadat dat.bcg, log risk ratios")
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add("normand1999", d$yi, d$vi, NULL, NULL, "metadat dat.normand1999, mean differences")
add("raudenbush1985", dat.raudenbush1985$yi, dat.raudenbush1985$vi, dat.raudenbush1985$year,
    list(weeks = dat.raudenbush1985$weeks), "metadat dat.raudenbush1985, standardized mean differences")
add("hackshaw1998", dat.hackshaw1998$yi, dat.hackshaw1998$vi, dat.hackshaw1998$year, NULL,
    "metadat dat.hackshaw1998, log odds ratios")
d <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
add("hine1989", d$yi, d$vi, NULL, NULL, "metadat dat.hine1989, risk differences")
add("k2", c(0.4, -0.1), c(0.09, 0.04), NULL, NULL, "two studies")
set.seed(20261126)
for (k in c(3, 6, 6, 8)) {
  vi <- runif(k, 0.05, 1)
  nm <- if (k == 6 && !is.null(datasets[["rand_k6"]])) "rand_k6b" else sprintf("rand_k%d", k)
  add(nm, rnorm(k, -1.8, sqrt(vi + 0.5)), vi, sample(2000:2015, k, replace = TRUE), NULL,
      sprintf("random, seed 20261126, k = %d", k))
}

methods <- c("FE", "DL", "HE", "SJ", "PM", "EB", "ML", "REML")
l1o <- list(); cum <- list(); infl <- list()
for (nm in names(datasets)) {
  x <- datasets[[nm]]
  for (m in methods) for (tt in c("z", "t", "knha", "adhoc")) {
    r <- rma_tight(yi = x$yi, vi = x$vi, method = m, test = tt)
    l <- suppressWarnings(leave1out(r))
    l1o[[length(l1o) + 1]] <- list(dataset = nm, method = m, test = tt, estimate = l$estimate, se = l$se,
      stat = if (tt == "z") l$zval else l$tval, pval = l$pval, ci_low = l$ci.lb, ci_high = l$ci.ub, q = l$Q,
      q_pval = l$Qp, tau2 = if (m == "FE") rep(0, length(x$yi)) else l$tau2, i2 = l$I2, h2 = l$H2)
    ord <- if (all(is.na(x$year))) seq_along(x$yi) else x$year
    cm <- suppressWarnings(cumul(r, order = ord))
    cum[[length(cum) + 1]] <- list(dataset = nm, method = m, test = tt, order = ord, estimate = cm$estimate,
      se = cm$se, pval = cm$pvals, ci_low = cm$ci.lb, ci_high = cm$ci.ub, q = cm$Q, q_pval = cm$Qp,
      tau2 = if (m == "FE") rep(0, length(x$yi)) else cm$tau2, i2 = cm$I2, h2 = cm$H2)
    if (tt %in% c("z", "knha")) {
      inf <- suppressWarnings(influence(r))
      bj <- suppressWarnings(baujat(r))
      infl[[length(infl) + 1]] <- list(dataset = nm, method = m, test = tt, mods = FALSE,
        rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d, cov_r = inf$inf$cov.r,
        tau2_del = inf$inf$tau2.del, qe_del = inf$inf$QE.del, hat = inf$inf$hat, weight = inf$inf$weight,
        inf = inf$is.infl, dfbetas = unname(as.matrix(as.data.frame(unclass(inf$dfbs)[seq_len(inf$p)]))),
        baujat_x = bj$x, baujat_y = bj$y)
    }
  }
  if (!is.null(x$mods)) for (m in c("FE", "DL", "REML")) for (tt in c("z", "knha")) {
    dd <- as.data.frame(x$mods); dd$yi <- x$yi; dd$vi <- x$vi
    r <- rma_tight(yi = dd$yi, vi = dd$vi, mods = as.formula(paste("~", names(x$mods)[1])), data = dd,
                   method = m, test = tt)
    inf <- suppressWarnings(influence(r))
    bj <- suppressWarnings(baujat(r))
    infl[[length(infl) + 1]] <- list(dataset = nm, method = m, test = tt, mods = TRUE,
      rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d, cov_r = inf$inf$cov.r,
      tau2_del = inf$inf$tau2.del, qe_del = inf$inf$QE.del, hat = inf$inf$hat, weight = inf$inf$weight,
      inf = inf$is.infl, dfbetas = unname(as.matrix(as.data.frame(unclass(inf$dfbs)[seq_len(inf$p)]))),
      baujat_x = bj$x, baujat_y = bj$y)
  }
}

out <- list(metafor_version = as.character(packageVersion("metafor")), datasets = datasets,
            leave1out = l1o, cumul = cum, influence = infl)
write_json(out, file.path(here, "sensitivity.json"), digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE,
           matrix = "rowmajor")
cat("sensitivity.json:", length(l1o), "leave-one-out,", length(cum), "cumulative,", length(infl),
    "influence analyses\n")
