/**
 * The integrity of a pack's files against `manifest.files` (model-pack.md section 10): every listed
 * file present with its size, and — when asked — its sha256, read as a stream so that a 15 GB
 * weights file never sits in memory.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { throwIfAborted } from '../../common/errors'
import type { PackManifest } from './manifest'
import { PackError } from './pack-error'

/** Hex sha256 of a file, streamed in 1 MiB chunks; stops with CancellationError when the signal aborts. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256')
  const stream = createReadStream(path, { highWaterMark: 1 << 20 })
  try {
    for await (const chunk of stream) {
      throwIfAborted(signal)
      hash.update(chunk as Buffer)
    }
  } finally {
    stream.destroy()
  }
  return hash.digest('hex')
}

/** What verifyPackFiles checks beyond presence and size. */
export interface VerifyOptions {
  /** Also compare every file's sha256 (streamed). */
  readonly hashes: boolean
  readonly signal?: AbortSignal
}

/**
 * Checks every file of `manifest.files` in `dir`: present, a regular file, of the listed size and,
 * with `hashes`, of the listed sha256. Throws PackError naming the file and what was expected.
 */
export async function verifyPackFiles(dir: string, manifest: PackManifest, options: VerifyOptions): Promise<void> {
  const entries = Object.entries(manifest.files)
  for (const [rel, want] of entries) {
    throwIfAborted(options.signal)
    let size: number
    try {
      const info = await stat(join(dir, rel))
      if (!info.isFile()) throw new PackError({ pack: dir, file: rel, expected: 'a file' }, 'is not a file')
      size = info.size
    } catch (error) {
      if (error instanceof PackError) throw error
      throw new PackError({ pack: dir, file: rel, expected: `${want.bytes} bytes` }, 'is missing (it is listed in manifest.json "files")')
    }
    if (size !== want.bytes) {
      throw new PackError(
        { pack: dir, file: rel, expected: `${want.bytes} bytes`, found: `${size} bytes` },
        `is ${size} bytes, manifest.json says ${want.bytes} (the file is truncated or was replaced)`
      )
    }
  }
  if (!options.hashes) return
  for (const [rel, want] of entries) {
    const got = await sha256File(join(dir, rel), options.signal)
    if (got !== want.sha256) {
      throw new PackError(
        { pack: dir, file: rel, expected: `sha256 ${want.sha256}`, found: `sha256 ${got}` },
        `sha256 ${got.slice(0, 12)}… does not match manifest.json (${want.sha256.slice(0, 12)}…); the file is corrupt or was modified`
      )
    }
  }
}
