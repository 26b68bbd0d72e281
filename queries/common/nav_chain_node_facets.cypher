// mode: read
// doc: Patents in each segment of chain $chain_id counted by province (first two digits of Patent.region_code, '' unknown) and application year; rows {node_id, province, app_year, patents}.
MATCH (c:IndustryChain {id: $chain_id})<-[:PART_OF]-(n:ChainNode)<-[:IN_CHAIN_NODE]-(p:Patent)
RETURN n.id AS node_id, coalesce(left(p.region_code, 2), '') AS province, p.app_year AS app_year,
       count(*) AS patents
