// mode: read
// doc: events of one kind (e.g. pledge) on the given patents, with amount and date
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})-[:HAS_EVENT]->(e:Event)
WHERE e.kind = $kind
RETURN p.id AS id, e.id AS event_id, e.date AS date, e.amount_wan AS amount_wan,
       e.counterparty AS counterparty
