// mode: write
// doc: Recompute CO_APPLIED (one edge per unordered pair, from the smaller id, count = shared patents) from APPLIED_BY; idempotent; one row {pairs}.
OPTIONAL MATCH (:Organization)-[old:CO_APPLIED]->(:Organization)
DELETE old
WITH count(*) AS removed
MATCH (a:Organization)<-[:APPLIED_BY]-(p:Patent)-[:APPLIED_BY]->(b:Organization)
WHERE a.id < b.id
WITH a, b, count(DISTINCT p) AS shared
CREATE (a)-[:CO_APPLIED {count: shared}]->(b)
RETURN count(*) AS pairs
