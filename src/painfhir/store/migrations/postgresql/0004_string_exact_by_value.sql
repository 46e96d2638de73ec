-- An :exact string search reads the value index: the exact text's normalized form leads it,
-- so the exact text needs no index of its own — one B-tree fewer for every string a write
-- indexes (names, addresses, descriptions: about a fifth of an HL7 v2 referral's index rows).
DROP INDEX search_string_by_exact;
