// mode: read
// doc: inventors (inventor id, name and position) of the given patents, for merging re-ingested rows
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[r:INVENTED_BY]->(i:Inventor)
RETURN p.id AS id, i.id AS inventor_id, i.name AS name, r.ord AS ord
