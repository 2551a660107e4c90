# Virtual test bench: models of the hardware around the charging core (import the modules explicitly).
