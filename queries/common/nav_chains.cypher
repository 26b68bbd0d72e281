// mode: read
// doc: Every industry chain with its number of segments (ChainNode PART_OF it) and of distinct patents placed in them; rows {id, name, system, tier, complete, source, note, segments, patents}.
MATCH (c:IndustryChain)
OPTIONAL MATCH (c)<-[:PART_OF]-(n:ChainNode)
WITH c, count(n) AS segments
OPTIONAL MATCH (c)<-[:PART_OF]-(:ChainNode)<-[:IN_CHAIN_NODE]-(p:Patent)
RETURN c.id AS id, c.name AS name, c.system AS system, c.tier AS tier, c.complete AS complete,
       c.source AS source, c.note AS note, segments, count(DISTINCT p.id) AS patents
ORDER BY id
