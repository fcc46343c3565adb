# Reference values for kmeta.mh and kmeta.peto from metafor's rma.mh() and rma.peto().
#
# Writes tests/reference/mh_peto.json. Run from this directory:
#   Rscript --vanilla mh_peto.R
# Datasets: dat.bcg (BCG vaccine, Colditz et al. 1994), dat.nielweise2007 (catheter
# infections; zero cells and a double-zero trial), dat.yusuf1985 table 6 (beta
# blockers; Peto's own example, with double-zero trials), dat.collins1985a (outcome
# b, diuretics and pre-eclampsia, one double-zero trial), constructed edge cases and
# seeded random data.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

cases <- list()
num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)

add_case <- function(name, method, data, measure = "OR", level = 0.95, correct = TRUE,
                     add = 0.5, to = "only0", drop00 = TRUE) {
  if (method == "MH") {
    res <- suppressWarnings(rma.mh(measure = measure, ai = data$e1, n1i = data$n1,
                                   ci = data$e2, n2i = data$n2, level = 100 * level,
                                   correct = correct, add = add, to = to, drop00 = drop00))
  } else {
    res <- suppressWarnings(rma.peto(ai = data$e1, n1i = data$n1, ci = data$e2,
                                     n2i = data$n2, level = 100 * level,
                                     add = add, to = to, drop00 = drop00))
    measure <- "OR"
  }
  out <- list(
    beta = num(res$beta), se = num(res$se), zval = num(res$zval), pval = num(res$pval),
    ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
    QE = num(res$QE), QEp = num(res$QEp), I2 = num(res$I2), H2 = num(res$H2),
    k = res$k, k_yi = res$k.yi, k_pos = if (is.null(res$k.pos)) NA else res$k.pos,
    MH = num(res$MH), MHp = num(res$MHp), BD = num(res$BD), BDp = num(res$BDp),
    TA = num(res$TA), TAp = num(res$TAp),
    weights = as.numeric(suppressWarnings(weights(res))),
    yi = as.numeric(res$yi.f), vi = as.numeric(res$vi.f)
  )
  cases[[length(cases) + 1]] <<- list(
    name = name, method = method, measure = measure,
    args = list(level = level, correct = correct, add = add, to = to, drop00 = drop00),
    data = data, result = out)
}

bcg <- dat.bcg
d_bcg <- list(e1 = bcg$tpos, n1 = bcg$tpos + bcg$tneg, e2 = bcg$cpos,
              n2 = bcg$cpos + bcg$cneg, study = paste(bcg$author, bcg$year))
nw <- dat.nielweise2007
d_nw <- list(e1 = nw$ai, n1 = nw$n1i, e2 = nw$ci, n2 = nw$n2i,
             study = paste(nw$author, nw$year))
yu <- dat.yusuf1985
yu <- yu[yu$table == "6" & complete.cases(yu[, c("ai", "n1i", "ci", "n2i")]), ]
d_yu <- list(e1 = yu$ai, n1 = yu$n1i, e2 = yu$ci, n2 = yu$n2i, study = yu$trial)
co <- dat.collins1985a
co <- co[complete.cases(co[, c("b.xti", "b.xci")]), ]
d_co <- list(e1 = co$b.xti, n1 = co$nti, e2 = co$b.xci, n2 = co$nci,
             study = paste(co$trial, co$year))

for (nm in c("bcg", "nw", "yu", "co")) {
  d <- get(paste0("d_", nm))
  for (m in c("RR", "OR", "RD")) add_case(sprintf("%s_MH_%s", nm, m), "MH", d, measure = m)
  add_case(sprintf("%s_Peto", nm), "Peto", d)
}
add_case("bcg_MH_OR_nocorrect_90", "MH", d_bcg, measure = "OR", correct = FALSE, level = 0.90)
add_case("nw_MH_OR_nocorrect", "MH", d_nw, measure = "OR", correct = FALSE)
add_case("bcg_Peto_99", "Peto", d_bcg, level = 0.99)
add_case("nw_Peto_add0", "Peto", d_nw, add = 0)
add_case("nw_MH_RR_keep00", "MH", d_nw, measure = "RR", drop00 = FALSE)
add_case("nw_MH_RD_keep00", "MH", d_nw, measure = "RD", drop00 = FALSE)
add_case("nw_MH_OR_all", "MH", d_nw, measure = "OR", to = "all")

# constructed: a zero in one arm, a double-zero trial, an all-event trial
d_zero <- list(e1 = c(0, 3, 0, 12, 10, 7, 2), n1 = c(15, 20, 10, 12, 10, 30, 25),
               e2 = c(4, 0, 0, 8, 10, 9, 6), n2 = c(16, 18, 12, 14, 10, 31, 25),
               study = c("z1", "z2", "dz", "allev1", "allev", "plain", "p2"))
for (m in c("RR", "OR", "RD")) add_case(paste0("zero_MH_", m), "MH", d_zero, measure = m)
add_case("zero_Peto", "Peto", d_zero)

# the docstring example of kmeta.mh / kmeta.peto
d_doc <- list(e1 = c(4, 6, 0), n1 = c(50, 60, 20), e2 = c(10, 12, 0), n2 = c(50, 58, 20),
              study = c("A", "B", "C"))
for (m in c("RR", "OR", "RD")) add_case(paste0("doc_MH_", m), "MH", d_doc, measure = m)
add_case("doc_Peto", "Peto", d_doc)

# two studies, one informative: k_yi = 1 gives Q = 0 on 0 df
d_one <- list(e1 = c(5, 0), n1 = c(40, 30), e2 = c(9, 0), n2 = c(41, 29))
for (m in c("RR", "OR", "RD")) add_case(paste0("one_MH_", m), "MH", d_one, measure = m)
add_case("one_Peto", "Peto", d_one)

# no events at all: the MH risk difference is 0 with standard error 0
d_none <- list(e1 = c(0, 0), n1 = c(10, 12), e2 = c(0, 0), n2 = c(10, 11))
add_case("none_MH_RD", "MH", d_none, measure = "RD")

# every arm with no events or only events: the variance of the MH risk difference is 0
# in exact arithmetic; rounding leaves it a few ulp off (kmeta sets it to 0)
d_allnone <- list(e1 = c(0), n1 = c(1), e2 = c(18), n2 = c(18))
add_case("allnone_MH_RD", "MH", d_allnone, measure = "RD")

# pooled OR equal to exactly 1 (Breslow-Day special case)
d_null <- list(e1 = c(5, 10), n1 = c(20, 20), e2 = c(10, 5), n2 = c(20, 20))
add_case("null_MH_OR", "MH", d_null, measure = "OR")

# seeded random data
set.seed(19851985)
for (r in 1:4) {
  k <- sample(4:15, 1)
  n1 <- sample(10:300, k, replace = TRUE); n2 <- sample(10:300, k, replace = TRUE)
  base <- runif(1, 0.01, 0.4)
  p2 <- pmin(0.95, base * exp(rnorm(k, 0, 0.4)))
  p1 <- pmin(0.95, p2 * exp(rnorm(1, -0.3, 0.3) + rnorm(k, 0, 0.2)))
  d_r <- list(e1 = rbinom(k, n1, p1), n1 = n1, e2 = rbinom(k, n2, p2), n2 = n2)
  for (m in c("RR", "OR", "RD")) add_case(sprintf("rand%d_MH_%s", r, m), "MH", d_r, measure = m)
  add_case(sprintf("rand%d_Peto", r), "Peto", d_r)
}

out <- list(
  metafor_version = as.character(packageVersion("metafor")),
  R_version = paste(R.version$major, R.version$minor, sep = "."),
  script = "tests/reference/mh_peto.R",
  cases = cases
)
write_json(out, "mh_peto.json", digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE)
cat("wrote mh_peto.json:", length(cases), "cases\n")
