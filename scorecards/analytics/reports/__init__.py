"""The insight reports' ORM shell: what each reader may see (``hiring.access``), read in a
constant number of queries, handed to ``scorecards.analytics.stats`` for the figures."""
