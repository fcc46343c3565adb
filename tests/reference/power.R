# Reference values for kmeta.power from base R's power.t.test (stats package, noncentral t).
# strict = TRUE: both tails count towards the power of a two-sided test, as in kmeta.
# Writes power.json next to this script. Run: Rscript --vanilla power.R
suppressMessages(library(jsonlite))
here <- tryCatch(dirname(normalizePath(sys.frame(1)$ofile)), error = function(e) ".")

n_cases <- list()
for (d in c(1, 1.5, 0.5)) for (s in c(2, 1)) for (pw in c(0.8, 0.9)) {
  r <- power.t.test(delta = d, sd = s, sig.level = 0.05, power = pw, tol = 1e-12, strict = TRUE)
  n_cases[[length(n_cases) + 1]] <- list(delta = d, sd = s, alpha = 0.05, power = pw, sides = 2, n = r$n)
}
r <- power.t.test(delta = 1, sd = 2, sig.level = 0.05, power = 0.9, alternative = "one.sided", tol = 1e-12)
n_cases[[length(n_cases) + 1]] <- list(delta = 1, sd = 2, alpha = 0.05, power = 0.9, sides = 1, n = r$n)

p_cases <- list()
for (n in c(10, 20, 30, 40, 86)) for (d in c(1, 1.5)) {
  r <- power.t.test(n = n, delta = d, sd = 2, sig.level = 0.05)
  # strict = TRUE counts both tails, as kmeta does for a two-sided test
  rs <- power.t.test(n = n, delta = d, sd = 2, sig.level = 0.05, strict = TRUE)
  p_cases[[length(p_cases) + 1]] <- list(n = n, delta = d, sd = 2, alpha = 0.05, power = r$power,
                                         power_strict = rs$power)
}
out <- list(R = as.character(getRversion()), n_cases = n_cases, power_cases = p_cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "power.json"))
cat("wrote", file.path(here, "power.json"), "\n")
