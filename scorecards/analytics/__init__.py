"""Insight (issue 18): interviewer and pipeline reports, outcomes after the hire, and the
predictive validity of the interview. Three layers, as the import contract says:

- ``stats``: pure maths (ICC, quantiles, correlations with bootstrap intervals): no Django;
- ``reports``: the ORM shell, each report read through the access policy;
- ``views``: the pages, their CSV exports and charts (``urls`` routes them under /insight/).
"""
