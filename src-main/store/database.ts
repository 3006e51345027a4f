import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { migrate } from './migrations'

/** An open SQLite database with the project's pragmas applied and its schema migrated. */
export interface Database {
  readonly db: DatabaseSync
  readonly schemaVersion: number
  /** Runs `fn` in one IMMEDIATE transaction: all of it commits, or none of it. */
  transaction<T>(fn: () => T): T
  close(): void
}

/** Opens (creating if needed) the SQLite file at `file` and brings its schema up to date. */
export function openDatabase(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new DatabaseSync(file)
  // WAL keeps readers and the writer apart and makes a commit one append; synchronous=FULL fsyncs the
  // WAL on every commit, so a committed user action survives even an OS crash, not only `kill -9`.
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = FULL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  const schemaVersion = migrate(db)
  let depth = 0
  return {
    db,
    schemaVersion,
    transaction<T>(fn: () => T): T {
      // Nested calls join the outer transaction, so composed store methods stay one user action.
      if (depth > 0) return fn()
      db.exec('BEGIN IMMEDIATE')
      depth++
      try {
        const result = fn()
        db.exec('COMMIT')
        return result
      } catch (error) {
        db.exec('ROLLBACK')
        throw error
      } finally {
        depth--
      }
    },
    close() {
      if (db.isOpen) db.close()
    }
  }
}
