"""The FHIR RESTful interactions, independent of HTTP: create, read, update, patch, delete,
history, search, batch and transaction. The api package maps HTTP requests onto these."""
