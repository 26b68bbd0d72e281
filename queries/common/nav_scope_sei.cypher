// mode: read
// doc: Patents in strategic-emerging-industry category $sei or any category below it ("1" covers "1.x"; "1.1" covers "1.1.x", not "1.10"), by IN_SEI; rows {id}.
MATCH (s:SEICategory)<-[:IN_SEI]-(p:Patent)
WHERE s.id = $sei OR s.id STARTS WITH ($sei + '.')
RETURN DISTINCT p.id AS id
