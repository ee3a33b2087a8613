"""The LIMS (ISPyB): its schema on MariaDB or SQLite, the durable outbox, and the client."""
