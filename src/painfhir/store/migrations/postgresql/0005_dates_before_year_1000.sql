-- Date index text is fixed-width, so it sorts as time does and equals the query side's text.
-- Until this version a year before 1000 was written without its leading zeros ("99-01-01T…"
-- for 0099-01-01): such rows never matched a search. Pad them; every other row has its dash
-- fifth and is left alone.
UPDATE search_date SET low = substr('000', 1, 5 - strpos(low, '-')) || low
    WHERE strpos(low, '-') BETWEEN 2 AND 4;
UPDATE search_date SET high = substr('000', 1, 5 - strpos(high, '-')) || high
    WHERE strpos(high, '-') BETWEEN 2 AND 4;
UPDATE search_token_date SET low = substr('000', 1, 5 - strpos(low, '-')) || low
    WHERE strpos(low, '-') BETWEEN 2 AND 4;
UPDATE search_token_date SET high = substr('000', 1, 5 - strpos(high, '-')) || high
    WHERE strpos(high, '-') BETWEEN 2 AND 4;
