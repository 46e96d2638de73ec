-- Resources, every version, the search index and the outbox.
CREATE TABLE resource_version (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    method       TEXT NOT NULL,
    content      BLOB,
    UNIQUE (res_type, res_id, version)
);
CREATE INDEX resource_version_by_type ON resource_version (res_type, seq);

CREATE TABLE resource (
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    deleted      BOOLEAN NOT NULL,
    PRIMARY KEY (res_type, res_id)
) WITHOUT ROWID;
CREATE INDEX resource_by_updated ON resource (res_type, last_updated);

-- The search index: one table per search-parameter type. Rows belong to the current version
-- of one resource; `grp` ties together the components of one composite value (0 otherwise).
CREATE TABLE search_token (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    system   TEXT NOT NULL,
    code     TEXT NOT NULL,
    text     TEXT NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
-- res_id right after code: a search for a code (with or without its system) reads the
-- matches in id order, which is the order of a page, and can stop when the page is full.
CREATE INDEX search_token_by_value ON search_token (res_type, param, code, res_id, system);
CREATE INDEX search_token_by_resource ON search_token (res_type, res_id);
CREATE TABLE search_string (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    normalized TEXT NOT NULL,
    exact TEXT NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_string_by_value ON search_string (res_type, param, normalized);
CREATE INDEX search_string_by_exact ON search_string (res_type, param, exact);
CREATE INDEX search_string_by_resource ON search_string (res_type, res_id);

CREATE TABLE search_date (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    low TEXT NOT NULL,
    high TEXT NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_date_by_range ON search_date (res_type, param, low, high);
CREATE INDEX search_date_by_high ON search_date (res_type, param, high);
CREATE INDEX search_date_by_resource ON search_date (res_type, res_id);

CREATE TABLE search_number (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    value NUMERIC NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_number_by_value ON search_number (res_type, param, value);
CREATE INDEX search_number_by_resource ON search_number (res_type, res_id);

CREATE TABLE search_quantity (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    value NUMERIC NOT NULL,
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    unit TEXT NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_quantity_by_value ON search_quantity (res_type, param, code, value);
CREATE INDEX search_quantity_by_resource ON search_quantity (res_type, res_id);

CREATE TABLE search_reference (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    url TEXT NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_reference_by_target ON search_reference (res_type, param, target_id, res_id, target_type);
CREATE INDEX search_reference_reverse ON search_reference (target_type, target_id, param);
-- With the parameter and the target: _include reads a page's references from here alone.
CREATE INDEX search_reference_by_resource ON search_reference (res_type, res_id, param, target_type, target_id);

-- A token and a date parameter indexed together (store/_combined.py): one row per pair of
-- a code and a date of one resource, so "this code in that window" is one range scan.
CREATE TABLE search_token_date (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    system   TEXT NOT NULL,
    code     TEXT NOT NULL,
    low      TEXT NOT NULL,
    high     TEXT NOT NULL
);
-- By code in id order, the date in the entry: a wide window is read in page order and the
-- page is full after a few entries. By code and end: a narrow window is a short range.
CREATE INDEX search_token_date_by_code ON search_token_date (res_type, param, code, res_id, high, low, system);
CREATE INDEX search_token_date_by_high ON search_token_date (res_type, param, code, high, low, system, res_id);
CREATE INDEX search_token_date_by_resource ON search_token_date (res_type, res_id);

CREATE TABLE search_uri (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    value TEXT NOT NULL,
    grp      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX search_uri_by_value ON search_uri (res_type, param, value);
CREATE INDEX search_uri_by_resource ON search_uri (res_type, res_id);

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    method       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
