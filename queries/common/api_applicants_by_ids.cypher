// mode: read
// doc: applicants (id, name, kind, ord) of the given patents, one row per patent that has any (search-hit hydration)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[ab:APPLIED_BY]->(a:Organization)
RETURN p.id AS id, collect({id: a.id, name: a.name, kind: a.kind, ord: ab.ord}) AS applicants
