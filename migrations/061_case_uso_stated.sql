-- The vehicles' use as the broker stated it in the body ("Uso: grúas de arrastre"), kept beside
-- the category it maps to (cases.uso), also when no category fits: a stated use is never dropped.
ALTER TABLE cases ADD COLUMN uso_stated text;
