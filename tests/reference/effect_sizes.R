# Reference values for kmeta.effect_sizes and kmeta.transforms from metafor's
# escalc() and transf.*() functions.
#
# Writes tests/reference/effect_sizes.json. Run from this directory:
#   Rscript --vanilla effect_sizes.R
# Datasets: dat.bcg (Colditz et al. 1994), dat.normand1999, dat.pritz1997 (bundled
# with metafor/metadat), constructed tables with zero cells, double-zero and
# all-event studies, and seeded random data.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

cases <- list()

# one escalc() call; 'add' is only passed when given, so metafor's measure-specific
# default (0 for PFT, 1/2 otherwise) applies otherwise
add_case <- function(name, measure, data, add = NULL, to = "only0", drop00 = FALSE,
                     vtype = "LS") {
  args <- list(measure = measure, to = to, drop00 = drop00, vtype = vtype)
  if (!is.null(add)) args$add <- add
  if (measure %in% c("MD", "SMD")) {
    args <- c(args, list(m1i = data$m1, sd1i = data$sd1, n1i = data$n1,
                         m2i = data$m2, sd2i = data$sd2, n2i = data$n2))
  } else if (measure %in% c("RR", "OR", "RD", "PETO")) {
    args <- c(args, list(ai = data$e1, n1i = data$n1, ci = data$e2, n2i = data$n2))
  } else {
    args <- c(args, list(xi = data$events, ni = data$n))
  }
  es <- suppressWarnings(do.call(escalc, args))
  cases[[length(cases) + 1]] <<- list(
    name = name, measure = measure,
    args = list(add = if (is.null(add)) NA else add, to = to, drop00 = drop00,
                vtype = vtype),
    data = data, yi = as.numeric(es$yi), vi = as.numeric(es$vi))
}

# ---- two-arm event data -----------------------------------------------------------
bcg <- dat.bcg
d_bcg <- list(e1 = bcg$tpos, n1 = bcg$tpos + bcg$tneg,
              e2 = bcg$cpos, n2 = bcg$cpos + bcg$cneg,
              study = paste(bcg$author, bcg$year))
for (m in c("RR", "OR", "PETO")) add_case(paste0("bcg_", m), m, d_bcg, drop00 = TRUE)
for (v in c("LS", "UB", "AV")) add_case(paste0("bcg_RD_", v), "RD", d_bcg, vtype = v)

# zero cells: a zero in one arm, a double-zero study, an all-event study,
# a study with every participant an event in one arm
d_zero <- list(e1 = c(0, 3, 0, 12, 10, 7, 5),
               n1 = c(15, 20, 10, 12, 10, 30, 25),
               e2 = c(4, 0, 0, 8, 10, 9, 25),
               n2 = c(16, 18, 12, 14, 10, 31, 25),
               study = c("z1", "z2", "dz", "allev1", "allev", "plain", "full2"))
for (m in c("RR", "OR", "RD", "PETO")) {
  for (to in c("only0", "all", "if0all", "none")) {
    for (dr in c(TRUE, FALSE)) {
      add_case(sprintf("zero_%s_%s_drop%s", m, to, dr), m, d_zero, to = to, drop00 = dr)
    }
  }
  add_case(sprintf("zero_%s_add1", m), m, d_zero, add = 1, drop00 = TRUE)
}
add_case("zero_RD_UB", "RD", d_zero, vtype = "UB")
add_case("zero_RD_AV_drop", "RD", d_zero, vtype = "AV", drop00 = TRUE)

# only non-zero tables, so "if0all" adds nothing
d_nz <- list(e1 = c(2, 5, 9), n1 = c(10, 20, 30), e2 = c(1, 7, 4), n2 = c(11, 19, 28))
add_case("nonzero_OR_if0all", "OR", d_nz, to = "if0all", drop00 = TRUE)

# ---- means ------------------------------------------------------------------------
nm <- dat.normand1999
d_norm <- list(m1 = nm$m1i, sd1 = nm$sd1i, n1 = nm$n1i,
               m2 = nm$m2i, sd2 = nm$sd2i, n2 = nm$n2i, study = nm$source)
for (v in c("LS", "HO")) add_case(paste0("normand_MD_", v), "MD", d_norm, vtype = v)
for (v in c("LS", "UB", "LS2", "AV")) add_case(paste0("normand_SMD_", v), "SMD", d_norm, vtype = v)

# tiny groups: n1 + n2 - 2 = 1 gives an undefined correction (NA in metafor)
d_tiny <- list(m1 = c(5, 4.2, 3), sd1 = c(1, 2, 1.5), n1 = c(2, 3, 2),
               m2 = c(4, 5.1, 3.5), sd2 = c(1.2, 1.1, 2), n2 = c(1, 4, 2))
add_case("tiny_SMD_LS", "SMD", d_tiny)

# ---- single proportions -----------------------------------------------------------
pr <- dat.pritz1997
d_pritz <- list(events = pr$xi, n = pr$ni, study = pr$study)
for (v in c("LS", "UB", "AV")) add_case(paste0("pritz_PR_", v), "PR", d_pritz, vtype = v)
for (v in c("LS", "AV")) add_case(paste0("pritz_PLO_", v), "PLO", d_pritz, vtype = v)
add_case("pritz_PFT", "PFT", d_pritz)

d_p0 <- list(events = c(0, 3, 12, 7, 1), n = c(14, 20, 12, 40, 9))
for (m in c("PR", "PLO", "PFT")) {
  for (to in c("only0", "all", "if0all", "none")) {
    add_case(sprintf("p0_%s_%s", m, to), m, d_p0, to = to)
  }
}
add_case("p0_PFT_add05", "PFT", d_p0, add = 0.5)
add_case("p0_PLO_add1", "PLO", d_p0, add = 1)

# ---- seeded random data -----------------------------------------------------------
set.seed(20240611)
for (r in 1:3) {
  k <- 9
  n1 <- sample(8:150, k, replace = TRUE); n2 <- sample(8:150, k, replace = TRUE)
  p1 <- runif(k, 0.02, 0.6); p2 <- runif(k, 0.02, 0.6)
  d_r <- list(e1 = rbinom(k, n1, p1), n1 = n1, e2 = rbinom(k, n2, p2), n2 = n2)
  for (m in c("RR", "OR", "PETO")) add_case(sprintf("rand%d_%s", r, m), m, d_r, drop00 = TRUE)
  add_case(sprintf("rand%d_RD", r), "RD", d_r)
  d_m <- list(m1 = round(rnorm(k, 4, 2), 2), sd1 = round(runif(k, 0.5, 3), 2), n1 = n1,
              m2 = round(rnorm(k, 5, 2), 2), sd2 = round(runif(k, 0.5, 3), 2), n2 = n2)
  add_case(sprintf("rand%d_MD", r), "MD", d_m)
  for (v in c("LS", "UB", "LS2", "AV")) add_case(sprintf("rand%d_SMD_%s", r, v), "SMD", d_m, vtype = v)
  d_p <- list(events = rbinom(k, n1, p1), n = n1)
  for (m in c("PR", "PLO", "PFT")) add_case(sprintf("rand%d_%s", r, m), m, d_p)
}

# ---- back-transformations ---------------------------------------------------------
pft_n <- c(14, 20, 12, 40, 9)
nhm <- 1 / mean(1 / pft_n)
lo <- transf.pft(0, nhm); hi <- transf.pft(1, nhm)
y_grid <- c(-0.2, 0, lo - 1e-9, lo, lo + 1e-9, seq(0.05, 1.55, by = 0.05), hi - 1e-9, hi,
            hi + 1e-9, pi / 2, 2)
transforms <- list(
  pft_n = pft_n, nhm = nhm, y = y_grid,
  ipft_hm = as.numeric(transf.ipft.hm(y_grid, targs = list(ni = pft_n))),
  ipft_n = list(y = c(0.1, 0.3, 0.5, 0.7, 0.9, 1.2, 1.5, 0.01, 1.56),
                n = c(5, 10, 20, 50, 100, 7, 30, 3, 1000)),
  pft = list(p = c(0, 0.05, 0.3, 0.5, 0.99, 1), n = c(10, 20, 33, 7, 100, 12)),
  exp = list(y = c(-3, -0.4537, 0, 0.25, 2.5)),
  ilogit = list(y = c(-30, -2.1972, 0, 0.4, 12))
)
transforms$ipft_n$p <- as.numeric(transf.ipft(transforms$ipft_n$y, transforms$ipft_n$n))
transforms$pft$y <- as.numeric(transf.pft(transforms$pft$p, transforms$pft$n))
transforms$exp$value <- as.numeric(exp(transforms$exp$y))
transforms$ilogit$value <- as.numeric(transf.ilogit(transforms$ilogit$y))

out <- list(
  metafor_version = as.character(packageVersion("metafor")),
  R_version = paste(R.version$major, R.version$minor, sep = "."),
  script = "tests/reference/effect_sizes.R",
  cases = cases,
  transforms = transforms
)
write_json(out, "effect_sizes.json", digits = NA, auto_unbox = TRUE, na = "null",
           pretty = TRUE)
cat("wrote effect_sizes.json:", length(cases), "escalc cases\n")
