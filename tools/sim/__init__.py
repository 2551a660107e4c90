# Scenario runner: drives the charging core and the bench models in virtual time, prints the trace.
