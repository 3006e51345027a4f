import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { temporarySibling } from '../common/atomic-file'

// Large enough that writes are few, small enough that 100,000 annotations never sit in one string.
const FLUSH_BYTES = 1 << 20

/**
 * A file written piece by piece into a temporary sibling and renamed into place only when complete, so a
 * crash, a cancel or an error never leaves a half-written file under the real name. Text is buffered
 * and written in chunks of about a megabyte; `commit` syncs the data to disk before the rename.
 */
export class AtomicFileWriter {
  private parts: string[] = []
  private buffered = 0
  private closed = false

  private constructor(
    /** The path the file will have once committed. */
    readonly path: string,
    private readonly temporary: string,
    private readonly handle: FileHandle
  ) {}

  /** Creates the temporary file (and the target's folder). */
  static async create(path: string): Promise<AtomicFileWriter> {
    await mkdir(dirname(path), { recursive: true })
    const temporary = temporarySibling(path)
    return new AtomicFileWriter(path, temporary, await open(temporary, 'wx'))
  }

  /** Appends text to the buffer; call `drain` now and then to write it out. */
  push(text: string): void {
    this.parts.push(text)
    this.buffered += text.length
  }

  /** Writes the buffer out when it has grown past the chunk size. */
  async drain(): Promise<void> {
    if (this.buffered >= FLUSH_BYTES) await this.flush()
  }

  /** Writes everything, syncs it to disk, and renames the file into place. */
  async commit(): Promise<void> {
    try {
      await this.flush()
      await this.handle.sync()
    } finally {
      await this.close()
    }
    await rename(this.temporary, this.path)
  }

  /** Closes and deletes the temporary file; the target is left as it was. */
  async abort(): Promise<void> {
    await this.close()
    await rm(this.temporary, { force: true })
  }

  private async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const text = this.parts.join('')
    this.parts = []
    this.buffered = 0
    await this.handle.write(text)
  }

  private async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.handle.close()
  }
}
