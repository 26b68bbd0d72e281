// mode: read
// doc: awards (WON) of the given patents
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[:WON]->(a:Award)
RETURN p.id AS id, a.id AS award_id, a.name AS name, a.level AS level, a.year AS year
