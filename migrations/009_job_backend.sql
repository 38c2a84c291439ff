-- The PostgreSQL backend that runs a claimed job: when the job's lease runs out (its worker
-- stopped or hung with a transaction open), the janitor ends that backend so the locks it
-- holds (the COT counter row, above all) are released.
ALTER TABLE jobs ADD COLUMN backend_pid integer;
