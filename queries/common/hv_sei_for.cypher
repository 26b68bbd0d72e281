// mode: read
// doc: strategic-emerging-industry classifications (IN_SEI, with the concordance rule) of the given patents (one row with nulls when there is none)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[r:IN_SEI]->(s:SEICategory)
RETURN p.id AS id, s.id AS code, s.name AS name, r.rule AS rule
