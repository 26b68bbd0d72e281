// mode: read
// doc: number of stored technology demands
MATCH (d:TechDemand)
RETURN count(d) AS n
