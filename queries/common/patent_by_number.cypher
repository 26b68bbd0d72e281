// mode: read
// doc: Patents whose id, app_no, pub_no or grant_no equals $number (normalised form, e.g. CN202210123456.7, CN218751475U); rows {patent}.
MATCH (p:Patent)
WHERE p.id = $number OR p.app_no = $number OR p.pub_no = $number OR p.grant_no = $number
RETURN p AS patent
ORDER BY p.id
