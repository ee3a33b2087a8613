"""The LIMS (ISPyB) client's Qt-free parts: the outbox and what talks to the database."""
