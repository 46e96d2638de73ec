-- Until this version an absolute reference ending in Type/id was indexed as this server's
-- Type/id, wherever it pointed: an Observation about http://other.example/fhir/Patient/1 was
-- in the compartment of this server's Patient/1, found by subject=Patient/1, and pulled that
-- Patient into _include. Only a reference under PAINFHIR_BASE_URL is local now, and a script
-- cannot know that setting: every absolute reference becomes another server's, found by its
-- URL. Without a base URL set (the default) that is exact; with one, a resource that refers
-- to this server by absolute URL is indexed as local again when it is next written.
UPDATE search_reference SET target_type = '', target_id = ''
    WHERE url <> '' AND target_id <> '';
