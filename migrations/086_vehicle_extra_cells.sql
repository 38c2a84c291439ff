-- Source columns the broker profile did not map that hold text (observaciones, notas,
-- conductor, no. económico ...): kept with the row as header -> text, shown in case show and
-- the desk's row detail, and exported on the workbook's "Otros datos" sheet.
ALTER TABLE vehicle_rows ADD COLUMN extra_cells jsonb NOT NULL DEFAULT '{}'::jsonb;
