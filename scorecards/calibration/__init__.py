"""From ratings to a recommendation (DESIGN §4): ``model`` (the leniency model: pure maths,
arrays in, numbers out), ``recommendation`` (the rule: numbers in, verdict and reasons out)
and ``summaries`` (the ORM shell that feeds them and stores each loop's summary)."""
