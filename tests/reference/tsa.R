# Reference values for kmeta.tsa: Lan-DeMets group sequential boundaries from R's rpact
# (an independent implementation), including beta-spending futility boundaries and the
# inflation factor. Writes tsa.json next to this script. Run: Rscript --vanilla tsa.R
# Needs rpact (Debian: apt-get install r-cran-rpact) and jsonlite.
suppressMessages(library(rpact))
suppressMessages(library(jsonlite))

here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) ".")

cases <- list()
add <- function(name, design, note) {
  ch <- NULL
  fut <- NULL
  if (!is.null(design$typeBetaSpending) && design$typeBetaSpending != "none") {
    ch <- getDesignCharacteristics(design)
    fut <- as.numeric(design$futilityBounds)
  }
  cases[[name]] <<- list(
    t = as.numeric(design$informationRates),
    alpha = design$alpha,
    beta = if (is.null(fut)) NULL else design$beta,
    sides = design$sided,
    type = design$typeOfDesign,
    split = if (design$typeOfDesign == "asUser") "total" else "per_side",
    upper = as.numeric(design$criticalValues),
    alpha_spent = as.numeric(design$alphaSpent),
    futility = fut,
    beta_spent = if (is.null(fut)) NULL else as.numeric(design$betaSpent),
    inflation = if (is.null(ch)) NULL else ch$inflationFactor,
    note = note
  )
}

# Lan-DeMets O'Brien-Fleming-type alpha spending, two-sided alpha = 0.05, equally spaced looks
for (K in 1:5) {
  add(sprintf("obf2_K%d", K),
      getDesignGroupSequential(kMax = K, alpha = 0.05, sided = 2, typeOfDesign = "asOF"),
      "asOF, two-sided 0.05, equally spaced")
}
# unequally spaced looks, as in a cumulative meta-analysis
add("obf2_uneven", getDesignGroupSequential(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asOF",
                                             informationRates = c(0.1, 0.35, 0.6, 1)),
    "asOF, two-sided 0.05, looks at 0.1, 0.35, 0.6, 1")
add("obf2_close", getDesignGroupSequential(kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asOF",
                                            informationRates = c(0.05, 0.3, 0.32, 0.7, 1)),
    "asOF, two-sided 0.05, two looks close together")
# the same boundaries with the spending function of Lan and DeMets (1983) applied to the
# two-sided crossing probability (alpha*(t) = 2 - 2 Phi(z_{1-alpha/2} / sqrt(t)) for the total
# two-sided alpha; kmeta's default, alpha_split = "total"), given to rpact as user spending
total_obf <- function(t, alpha) {
  a <- 2 - 2 * pnorm(qnorm(1 - alpha / 2) / sqrt(t))
  a[length(a)] <- alpha  # exactly alpha at t = 1 (rpact checks a <= alpha)
  a
}
for (tt in list(c(0.2, 0.4, 0.6, 0.8, 1), c(0.5, 1), c(0.1, 0.35, 0.6, 1), c(0.05, 0.3, 0.32, 0.7, 1))) {
  add(sprintf("total2_%s", paste(round(100 * tt), collapse = "_")),
      getDesignGroupSequential(kMax = length(tt), alpha = 0.05, sided = 2, typeOfDesign = "asUser",
                               userAlphaSpending = total_obf(tt, 0.05), informationRates = tt),
      "two-sided 0.05, O'Brien-Fleming-type spending of the total alpha (user spending in rpact)")
}
# one-sided 0.025 (the gsDesign convention)
add("obf1_K5", getDesignGroupSequential(kMax = 5, alpha = 0.025, sided = 1, typeOfDesign = "asOF"),
    "asOF, one-sided 0.025, equally spaced")
# Pocock-type spending
add("pocock2_K4", getDesignGroupSequential(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asP"),
    "asP, two-sided 0.05, equally spaced")
# beta-spending futility (non-binding), O'Brien-Fleming type for both
for (K in c(3, 5)) {
  add(sprintf("fut1_K%d", K),
      getDesignGroupSequential(kMax = K, alpha = 0.025, beta = 0.1, sided = 1, typeOfDesign = "asOF",
                               typeBetaSpending = "bsOF", bindingFutility = FALSE),
      "asOF + bsOF, one-sided 0.025, power 0.9, non-binding futility")
}
add("fut1_uneven", getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1, typeOfDesign = "asOF",
                                             typeBetaSpending = "bsOF", bindingFutility = FALSE,
                                             informationRates = c(0.3, 0.7, 1)),
    "asOF + bsOF, one-sided 0.025, power 0.8, looks at 0.3, 0.7, 1")
# classical designs (constant boundaries): O'Brien-Fleming and Pocock, two-sided 0.05
for (K in 2:5) {
  add(sprintf("classicOF_K%d", K),
      getDesignGroupSequential(kMax = K, alpha = 0.05, sided = 2, typeOfDesign = "OF"),
      "classical O'Brien-Fleming, two-sided 0.05")
  add(sprintf("classicP_K%d", K),
      getDesignGroupSequential(kMax = K, alpha = 0.05, sided = 2, typeOfDesign = "P"),
      "classical Pocock, two-sided 0.05")
}

out <- list(rpact = as.character(packageVersion("rpact")), cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE),
           file.path(here, "tsa.json"))
cat("wrote", file.path(here, "tsa.json"), "\n")
