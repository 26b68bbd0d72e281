// mode: read
// doc: Display fields of the inventors $inventor_ids (labels of a landscape's top inventors when the catalog computed the counts); rows {id, name, org_id}.
UNWIND $inventor_ids AS vid
MATCH (v:Inventor {id: vid})
RETURN v.id AS id, v.name AS name, v.org_id AS org_id
