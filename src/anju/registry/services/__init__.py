"""Registry writes, by sub-domain: imports (bulk roster import/export), records (single-record changes),
requests (change-request workflow), verification (annual snapshots), crosschecks (other departments' lists)."""
