// mode: read
// doc: events of one kind (e.g. pledge) on the given patents, with amount and date (one row with nulls when there is none)
UNWIND $ids AS pid
MATCH (p:Patent {id: pid})
OPTIONAL MATCH (p)-[:HAS_EVENT]->(e:Event)
WHERE e.kind = $kind
RETURN p.id AS id, e.id AS event_id, e.date AS date, e.amount_wan AS amount_wan,
       e.counterparty AS counterparty
