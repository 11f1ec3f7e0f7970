-- A lease names the one replica of a node that does a piece of work no
-- two may do at once (integrating and checkpointing the Merkle log),
-- until expires_at: the holder renews it while it works, and another
-- replica takes it once it has expired, its holder dead or cut off.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
