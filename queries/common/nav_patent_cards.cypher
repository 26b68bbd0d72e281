// mode: read
// doc: Display fields of the patents $ids (a short list: a landscape's most-cited patents when the catalog ranked them); rows {id, pub_no, title, app_year, kind, cited_count}.
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
RETURN p.id AS id, p.pub_no AS pub_no, p.title AS title, p.app_year AS app_year,
       p.kind AS kind, p.cited_count AS cited_count
