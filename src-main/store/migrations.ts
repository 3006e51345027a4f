import type { DatabaseSync } from 'node:sqlite'

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Never edit a
 * released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,                  -- relative to the project folder, '/' separators
    width INTEGER NOT NULL CHECK (width > 0),    -- after EXIF orientation
    height INTEGER NOT NULL CHECK (height > 0),
    orientation INTEGER NOT NULL DEFAULT 1 CHECK (orientation BETWEEN 1 AND 8),
    file_size INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'proposed', 'in-review', 'done', 'skipped')),
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX images_hash ON images (content_hash);
  CREATE INDEX images_status ON images (status, id);

  CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    color TEXT NOT NULL,
    supercategory TEXT,
    synonyms TEXT NOT NULL DEFAULT '[]',        -- JSON array of names
    created_at TEXT NOT NULL
  );

  CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT,
    parent_id INTEGER REFERENCES models (id),
    metrics TEXT,                               -- JSON
    active INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (name, version)
  );

  CREATE TABLE instances (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    rle_counts TEXT NOT NULL,                   -- COCO compressed RLE at full resolution
    rle_height INTEGER NOT NULL,
    rle_width INTEGER NOT NULL,
    bbox_x REAL NOT NULL, bbox_y REAL NOT NULL, bbox_w REAL NOT NULL, bbox_h REAL NOT NULL,
    area INTEGER NOT NULL,
    category_text TEXT NOT NULL,
    category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    score REAL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')),
    source TEXT NOT NULL CHECK (source IN ('model', 'human', 'refined')),
    model_version TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX instances_image ON instances (image_id);
  CREATE INDEX instances_status ON instances (status);

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    params TEXT NOT NULL DEFAULT '{}',
    progress TEXT,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );

  -- Undo history of instance edits: each row is one user action with the rows it touched before and
  -- after; 'undone' rows form the redo tail. Stored here so undo survives a reload or a restart.
  CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    image_id INTEGER,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  );
  `,
  `
  -- Which model pack version auto-annotated which image, written in the same transaction as the
  -- image's proposed instances: an interrupted auto-annotate job resumes by skipping these images,
  -- so a restart or a crash never stores an image's proposals twice.
  CREATE TABLE auto_annotations (
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,                -- the pack's name@version
    job_id INTEGER,
    instances INTEGER NOT NULL,
    annotated_at TEXT NOT NULL,
    PRIMARY KEY (image_id, model_version)
  );
  `,
  `
  -- Instance ids are never reused (AUTOINCREMENT): undoing a delete puts the row back under its old
  -- id, and a proposal or an import inserted meanwhile (outside the undo history) must not have taken
  -- it. The table is rebuilt for that, and the counter starts above every id the history mentions.
  -- Two new columns: what the model said about a proposal beyond mask and name, the super-patch role
  -- of the patch that proposed it and that patch's SigLIP-space embedding (base64 of little-endian
  -- float32), kept so that names can be matched to the taxonomy later without running the model again;
  -- TEXT, not BLOB, so the undo history's JSON snapshots of instance rows carry them unchanged.
  ALTER TABLE instances RENAME TO instances_v2;
  CREATE TABLE instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    rle_counts TEXT NOT NULL,                   -- COCO compressed RLE at full resolution
    rle_height INTEGER NOT NULL,
    rle_width INTEGER NOT NULL,
    bbox_x REAL NOT NULL, bbox_y REAL NOT NULL, bbox_w REAL NOT NULL, bbox_h REAL NOT NULL,
    area INTEGER NOT NULL,
    category_text TEXT NOT NULL,
    category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL,
    score REAL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'rejected')),
    source TEXT NOT NULL CHECK (source IN ('model', 'human', 'refined')),
    model_version TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    role TEXT,
    embedding TEXT
  );
  INSERT INTO instances (id, image_id, rle_counts, rle_height, rle_width, bbox_x, bbox_y, bbox_w, bbox_h, area,
    category_text, category_id, score, status, source, model_version, created_at, updated_at)
    SELECT id, image_id, rle_counts, rle_height, rle_width, bbox_x, bbox_y, bbox_w, bbox_h, area,
      category_text, category_id, score, status, source, model_version, created_at, updated_at FROM instances_v2;
  DROP TABLE instances_v2;
  CREATE INDEX instances_image ON instances (image_id);
  CREATE INDEX instances_status ON instances (status);
  INSERT INTO sqlite_sequence (name, seq)
    SELECT 'instances', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'instances');
  UPDATE sqlite_sequence SET seq = MAX(seq,
      COALESCE((SELECT MAX(json_extract(j.value, '$.id')) FROM history, json_each(history.before_json) j), 0),
      COALESCE((SELECT MAX(json_extract(j.value, '$.id')) FROM history, json_each(history.after_json) j), 0))
    WHERE name = 'instances';
  `
]

/** Applies the migrations the database has not seen yet, each in its own transaction; returns the version. */
export function migrate(db: DatabaseSync): number {
  const current = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version)
  if (current > MIGRATIONS.length) {
    throw new Error(
      `project database has schema version ${current}, newer than this app supports (${MIGRATIONS.length}); update ROSE Studio`
    )
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.exec('BEGIN IMMEDIATE')
    try {
      db.exec(MIGRATIONS[version]!)
      db.exec(`PRAGMA user_version = ${version + 1}`)
      db.exec('COMMIT')
    } catch (error) {
      db.exec('ROLLBACK')
      throw error
    }
  }
  return MIGRATIONS.length
}
