# Measured budgets: `make bench` runs these and writes docs/performance.md.
