// mode: read
// doc: resolve patent numbers (id, application, publication or grant number) to patent ids
UNWIND $numbers AS n
MATCH (p:Patent)
WHERE p.id = n OR p.app_no = n OR p.pub_no = n OR p.grant_no = n
RETURN n AS number, p.id AS id
