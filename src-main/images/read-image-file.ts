import { readFile, stat } from 'node:fs/promises'
import { hashBytesYielding, hashFile } from './content-hash'
import { imageProblems, isImageProblem } from './image-problem'

/** Files above this size are hashed by streaming and decoded from their path rather than held in memory. */
export const STREAM_ABOVE_BYTES = 64 * 1024 * 1024

/** An image file read for import: its bytes (or its path, when large), size and content hash. */
export interface ImageFileContent {
  readonly absPath: string
  /** The bytes to decode, or the path for files above the streaming threshold. */
  readonly input: Buffer | string
  readonly fileSize: number
  readonly contentHash: string
}

/**
 * Reads a file once to hash it and keep its bytes for decoding, so import touches the disk once per
 * image. Throws ImageProblemError for missing, unreadable, folder or zero-byte paths.
 */
export async function readImageFile(absPath: string, streamAboveBytes = STREAM_ABOVE_BYTES): Promise<ImageFileContent> {
  try {
    const info = await stat(absPath)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    if (info.size === 0) throw imageProblems.empty()
    if (info.size > streamAboveBytes) {
      return { absPath, input: absPath, fileSize: info.size, contentHash: await hashFile(absPath) }
    }
    const bytes = await readFile(absPath)
    // The file may have changed between stat and read; the bytes are what count.
    if (bytes.length === 0) throw imageProblems.empty()
    return { absPath, input: bytes, fileSize: bytes.length, contentHash: await hashBytesYielding(bytes) }
  } catch (error) {
    if (isImageProblem(error)) throw error
    throw imageProblems.unreadable(error)
  }
}
