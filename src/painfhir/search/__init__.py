"""Search parameters: parsing a query into criteria, and the index rows a resource yields."""
