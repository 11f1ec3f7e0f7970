-- A declaration the node acts on names what it reserves (for instance
-- preservation_dual_criminality, art. 42(4)); the others keep it empty.
ALTER TABLE declarations ADD COLUMN reservation TEXT NOT NULL DEFAULT '';
