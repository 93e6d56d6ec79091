// Module Ingest.
