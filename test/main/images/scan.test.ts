import { symlink } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CancellationError } from '../../../src-main/common/errors'
import { compareNames, scanPaths } from '../../../src-main/images/scan'
import { makeTempDir, put } from './image-factory'

let dir: Awaited<ReturnType<typeof makeTempDir>>
let root: string

beforeAll(async () => {
  dir = await makeTempDir()
  root = dir.path
  for (const name of [
    'photos/img10.jpg',
    'photos/img2.JPG',
    'photos/img1.png',
    'photos/b/deep.webp',
    'photos/a.tif',
    'photos/notes.txt',
    'photos/.hidden/secret.jpg',
    'photos/.dotfile.jpg',
    'photos/raw/c.avif',
    'photos/raw/readme.md',
    'loose.gif',
    'report.pdf',
    '.rose/thumbs/abc.webp',
    '.rose/cache/x.png'
  ]) {
    await put(join(root, name), 'x')
  }
  // A link back up the tree: the scan must not loop.
  await symlink(join(root, 'photos'), join(root, 'photos/raw/loop'))
})
afterAll(() => dir.dispose())

const rel = (paths: readonly string[]): string[] => paths.map((p) => relative(root, p).split('\\').join('/'))

describe('scanPaths', () => {
  it('lists images recursively in natural name order, skipping hidden entries and other files silently', async () => {
    const result = await scanPaths(['photos'], { recursive: true, projectRoot: root })
    expect(rel(result.files)).toEqual([
      'photos/a.tif',
      'photos/b/deep.webp',
      'photos/img1.png',
      'photos/img2.JPG',
      'photos/img10.jpg',
      'photos/raw/c.avif'
    ])
    expect(result.problems).toEqual([])
  })

  it('stays in the named folder when not recursive', async () => {
    const result = await scanPaths([join(root, 'photos')], { recursive: false, projectRoot: root })
    expect(rel(result.files)).toEqual(['photos/a.tif', 'photos/img1.png', 'photos/img2.JPG', 'photos/img10.jpg'])
  })

  it("never enters the project's .rose folder, even when scanning the whole project", async () => {
    const result = await scanPaths([root], { recursive: true, projectRoot: root })
    expect(rel(result.files)).toEqual([
      'loose.gif',
      'photos/a.tif',
      'photos/b/deep.webp',
      'photos/img1.png',
      'photos/img2.JPG',
      'photos/img10.jpg',
      'photos/raw/c.avif'
    ])
  })

  it('takes a file named explicitly even when hidden, and lists a file named twice once', async () => {
    const result = await scanPaths(['loose.gif', 'photos/.dotfile.jpg', 'loose.gif', 'photos'], { recursive: false, projectRoot: root })
    expect(rel(result.files)).toEqual(['loose.gif', 'photos/.dotfile.jpg', 'photos/a.tif', 'photos/img1.png', 'photos/img2.JPG', 'photos/img10.jpg'])
  })

  it('EXPECTED FAILURE – reports an explicitly named unsupported file, a missing path and a path inside .rose', async () => {
    const result = await scanPaths(['report.pdf', 'missing.jpg', '.rose/cache/x.png', 'loose.gif'], { recursive: true, projectRoot: root })
    expect(rel(result.files)).toEqual(['loose.gif'])
    expect(result.problems.map((p) => ({ path: rel([p.path])[0], reason: p.reason }))).toEqual([
      { path: 'report.pdf', reason: 'unsupported file type (.pdf); supported: jpg, jpeg, png, webp, tif, tiff, bmp, gif, avif' },
      { path: 'missing.jpg', reason: 'cannot read file: file not found' },
      { path: '.rose/cache/x.png', reason: "inside the project's internal .rose folder" }
    ])
  })

  it('reports how many candidates it has found', async () => {
    const counts: number[] = []
    await scanPaths(['photos'], { recursive: true, projectRoot: root, onFound: (n) => counts.push(n) })
    expect(counts.at(-1)).toBe(6)
  })

  it('EXPECTED FAILURE – stops with CancellationError when aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    await expect(scanPaths(['photos'], { recursive: true, projectRoot: root }, controller.signal)).rejects.toBeInstanceOf(CancellationError)
  })

  it('orders names naturally and totally', () => {
    expect(['b', 'img10', 'A', 'img2', 'a', 'img1'].sort(compareNames)).toEqual(['a', 'A', 'b', 'img1', 'img2', 'img10'])
  })
})

