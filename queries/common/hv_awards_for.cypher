// mode: read
// doc: awards (WON) of the given patents (one row with nulls when there is none)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:WON]->(a:Award)
RETURN p.id AS id, a.id AS award_id, a.name AS name, a.level AS level, a.year AS year
