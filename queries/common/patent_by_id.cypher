// mode: read
// doc: One patent by its id ($id); one row {patent: all properties} or none.
MATCH (p:Patent {id: $id})
RETURN p AS patent
