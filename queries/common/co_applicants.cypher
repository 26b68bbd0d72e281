// mode: read
// doc: Organisations that applied for patents together with organisation $id (needs derive_co_applied); rows {id, name, kind, patents}, most shared patents first.
MATCH (o:Organization {id: $id})-[r:CO_APPLIED]-(x:Organization)
RETURN x.id AS id, x.name AS name, x.kind AS kind, r.count AS patents
ORDER BY patents DESC, id
