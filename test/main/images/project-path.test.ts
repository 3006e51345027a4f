import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isInsideRoseDir, resolveProjectPath, toProjectPath } from '../../../src-main/images/project-path'

const root = resolve('/data/projects/cats')

describe('project paths', () => {
  it("names files inside the project relative to it with '/' separators", () => {
    expect(toProjectPath(root, join(root, 'images', 'a', 'b.jpg'))).toBe('images/a/b.jpg')
    expect(resolveProjectPath(root, 'images/a/b.jpg')).toBe(join(root, 'images', 'a', 'b.jpg'))
  })

  it('names files outside the project by absolute path, which still resolves', () => {
    const outside = resolve('/data/shared/dogs/1.jpg')
    expect(toProjectPath(root, outside)).toBe(outside.split('\\').join('/'))
    expect(resolveProjectPath(root, toProjectPath(root, outside))).toBe(outside)
    // A sibling whose name merely starts with the project's name is outside too.
    expect(toProjectPath(root, resolve('/data/projects/cats-old/x.png'))).toBe(resolve('/data/projects/cats-old/x.png').split('\\').join('/'))
  })

  it('knows what lies inside the .rose folder', () => {
    expect(isInsideRoseDir(root, join(root, '.rose'))).toBe(true)
    expect(isInsideRoseDir(root, join(root, '.rose', 'thumbs', 'x.webp'))).toBe(true)
    expect(isInsideRoseDir(root, join(root, '.rosebud', 'x.jpg'))).toBe(false)
    expect(isInsideRoseDir(root, join(root, 'images'))).toBe(false)
  })
})
