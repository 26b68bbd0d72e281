// mode: read
// doc: The patents among $ids (list of ids) that exist; rows {patent}, in no particular order.
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
RETURN p AS patent
