import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

/** The content hash of bytes held in memory: SHA-256, lower-case hex. */
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The content hash of a file, streamed so that large files never sit in memory whole. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
