// mode: read
// doc: number of Award nodes (0 = no award list loaded, so the award criterion is unknown)
MATCH (a:Award)
RETURN count(a) AS n
