// mode: read
// doc: The id of every patent (the index build sorts them and reads the documents in pages of search_documents_by_ids: key lookups, where a keyset page over all patents re-scans them each time); rows {id}.
MATCH (p:Patent)
RETURN p.id AS id
