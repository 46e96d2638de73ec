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

CREATE TABLE search_token (
    res_type TEXT NOT NULL,
    res_id   TEXT NOT NULL,
    param    TEXT NOT NULL,
    system   TEXT NOT NULL,
    code     TEXT NOT NULL
);
CREATE INDEX search_token_by_value ON search_token (res_type, param, code, system);
CREATE INDEX search_token_by_resource ON search_token (res_type, res_id);

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    res_type     TEXT NOT NULL,
    res_id       TEXT NOT NULL,
    version      INTEGER NOT NULL,
    method       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    delivered_at TEXT
);
