"""Pure statistics for the insight reports: plain numbers in, plain numbers out (no Django,
no ORM), so each figure can be checked against a hand-computed case."""
