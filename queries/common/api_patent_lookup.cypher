// mode: read
// doc: patents whose id, application, publication or grant number equals one of the candidate numbers
UNWIND $numbers AS n
MATCH (p:Patent {id: n})
RETURN n AS number, p.id AS id
UNION
UNWIND $numbers AS n
MATCH (p:Patent) WHERE p.app_no = n
RETURN n AS number, p.id AS id
UNION
UNWIND $numbers AS n
MATCH (p:Patent) WHERE p.pub_no = n OR p.grant_no = n
RETURN n AS number, p.id AS id
