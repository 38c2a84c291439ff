-- Vehicle rows read from an image (a photo, a screen capture or a scanned PDF, by OCR): the
-- lowest confidence (0..100) of the characters of the row's mapped cells; NULL for rows read
-- from a text layer or a spreadsheet.
ALTER TABLE vehicle_rows ADD COLUMN ocr_confidence numeric(5,2);
