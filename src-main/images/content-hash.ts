import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** SHA-256 runs on the calling thread; slices this big keep each turn of main's event loop short (~1 ms). */
const SLICE_BYTES = 1 << 20

/** The content hash of bytes held in memory: SHA-256, lower-case hex. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** hashBytes for large buffers without blocking the event loop: hashes a slice per turn. */
export async function hashBytesYielding(bytes: Uint8Array): Promise<string> {
  if (bytes.length <= SLICE_BYTES) return hashBytes(bytes)
  const hash = createHash('sha256')
  for (let start = 0; start < bytes.length; start += SLICE_BYTES) {
    hash.update(bytes.subarray(start, start + SLICE_BYTES))
    await nextTurn()
  }
  return hash.digest('hex')
}

/** The content hash of a file, streamed so that large files never sit in memory whole. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: SLICE_BYTES })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
