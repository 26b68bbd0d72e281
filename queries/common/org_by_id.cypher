// mode: read
// doc: One organisation by its id ($id, the normalised name); one row {org} or none.
MATCH (o:Organization {id: $id})
RETURN o AS org
