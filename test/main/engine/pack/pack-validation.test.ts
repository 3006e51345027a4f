// Broken model packs, each kind made from a copy of the golden pack, must give a PackError that names
// the file, the tensor or field, and what was expected; the registry lists them with their reasons,
// keeps a sound pack active, and switches packs without a restart.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ModelPack } from '../../../../src-main/engine/pack/model-pack'
import { PackError } from '../../../../src-main/engine/pack/pack-error'
import { sha256File } from '../../../../src-main/engine/pack/pack-files'
import { PackRegistry } from '../../../../src-main/engine/pack/pack-registry'
import type { SessionPool } from '../../../../src-main/engine/session-pool'
import { testPool } from '../engine-fixtures'
import { GOLDEN_PACK_DIR } from '../rose/golden-files'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

describe('broken model packs', () => {
  let root: string
  let pool: SessionPool
  let count = 0

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'rose-packs-'))
    pool = testPool()
  })
  afterAll(async () => {
    await pool?.dispose()
    if (root) rmSync(root, { recursive: true, force: true })
  })

  /** A fresh copy of the golden pack (without its golden files) in the test's packs folder. */
  function copyPack(name = `pack${++count}`): string {
    const dir = join(root, name)
    cpSync(GOLDEN_PACK_DIR, dir, { recursive: true, filter: (src) => !src.includes('/golden') })
    const manifest = readManifest(dir)
    for (const rel of Object.keys(manifest['files'])) if (rel.startsWith('golden/')) delete manifest['files'][rel]
    writeManifest(dir, manifest)
    return dir
  }
  const readManifest = (dir: string): Json => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Json
  const writeManifest = (dir: string, doc: Json): void => writeFileSync(join(dir, 'manifest.json'), JSON.stringify(doc, null, 2))
  // After a deliberate change to a file, record its new size and hash so only the intended check fails.
  async function relist(dir: string, rel: string): Promise<void> {
    const doc = readManifest(dir)
    doc['files'][rel] = { sha256: await sha256File(join(dir, rel)), bytes: statSync(join(dir, rel)).size }
    writeManifest(dir, doc)
  }
  async function openError(dir: string, verifyHashes = true): Promise<PackError> {
    let error: unknown
    try {
      const pack = await ModelPack.open(dir, pool, { verifyHashes })
      try {
        await pack.loadAll()
      } finally {
        await pack.dispose()
      }
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(PackError)
    return error as PackError
  }

  test('EXPECTED FAILURE – a graph file is missing: names the file', async () => {
    const dir = copyPack()
    rmSync(join(dir, 'sam_decoder.onnx'))
    const error = await openError(dir)
    expect(error.code).toBe('PACK_BROKEN')
    expect(error.problem).toMatchObject({ pack: dir, file: 'sam_decoder.onnx' })
    expect(error.message).toBe(`broken model pack ${dir}: sam_decoder.onnx: is missing (it is listed in manifest.json "files")`)
  })

  test('EXPECTED FAILURE – a truncated weights file: names the file and both sizes', async () => {
    const dir = copyPack()
    const bytes = statSync(join(dir, 'weights.safetensors')).size
    truncateSync(join(dir, 'weights.safetensors'), bytes - 1000)
    const error = await openError(dir, false)
    expect(error.problem).toMatchObject({ file: 'weights.safetensors', expected: `${bytes} bytes`, found: `${bytes - 1000} bytes` })
    expect(error.message).toContain(`weights.safetensors: is ${bytes - 1000} bytes, manifest.json says ${bytes}`)
  })

  test('EXPECTED FAILURE – a file of the right size with other content fails its sha256 when hashes are verified', async () => {
    const dir = copyPack()
    const path = join(dir, 'tokenizer.json')
    const text = readFileSync(path, 'utf8')
    expect(text).toContain('"version":"1.0"')
    writeFileSync(path, text.replace('"version":"1.0"', '"version":"1.1"'))
    const error = await openError(dir)
    expect(error.problem.file).toBe('tokenizer.json')
    expect(error.problem.expected).toBe(`sha256 ${readManifest(dir)['files']['tokenizer.json'].sha256}`)
    expect(error.message).toMatch(/tokenizer\.json: sha256 [0-9a-f]{12}… does not match manifest\.json/)
    // Loading checks sizes only; hashes are streamed when a pack is installed or activated.
    await (await ModelPack.open(dir, pool, { verifyHashes: false })).dispose()
  })

  test('EXPECTED FAILURE – a corrupt ONNX graph: names the file and says onnxruntime cannot load it', async () => {
    const dir = copyPack()
    const path = join(dir, 'patch_analyzer.onnx')
    writeFileSync(path, Buffer.alloc(statSync(path).size, 0x5a))
    await relist(dir, 'patch_analyzer.onnx')
    const error = await openError(dir)
    expect(error.problem).toMatchObject({ file: 'patch_analyzer.onnx', expected: 'an ONNX model onnxruntime can load' })
    expect(error.message).toMatch(/^broken model pack .*: patch_analyzer\.onnx: onnxruntime cannot load it: /)
  })

  test('EXPECTED FAILURE – a graph with other tensors than declared: names the file and the missing input', async () => {
    const dir = copyPack()
    cpSync(join(dir, 'text_encoder.onnx'), join(dir, 'patch_analyzer.onnx'))
    await relist(dir, 'patch_analyzer.onnx')
    const error = await openError(dir)
    expect(error.problem).toMatchObject({ file: 'patch_analyzer.onnx', tensor: 'inputs.hidden_states', found: 'absent' })
    expect(error.message).toContain('patch_analyzer.onnx: the graph has no input "hidden_states" (it has input_ids, attention_mask)')
  })

  test('EXPECTED FAILURE – a graph whose fixed dimension disagrees with the manifest: names tensor, axis and both sizes', async () => {
    const dir = copyPack()
    const doc = readManifest(dir)
    const vocab = doc['sizes']['vocab_size'] as number
    doc['sizes']['vocab_size'] = vocab * 2
    doc['graphs']['llm_decoder']['outputs']['logits']['shape'][2] = vocab * 2
    writeManifest(dir, doc)
    const error = await openError(dir)
    expect(error.problem).toMatchObject({ file: 'llm_decoder.onnx', tensor: 'outputs.logits', expected: `float32 [batch,sequence,${vocab * 2}]` })
    expect(error.message).toContain(`llm_decoder.onnx: output "logits" has dimension 2 of ${vocab}, manifest.json declares ${vocab * 2}`)
  })

  test('EXPECTED FAILURE – a graph whose tensor type disagrees with the manifest: names file, tensor and both types', async () => {
    const dir = copyPack()
    const doc = readManifest(dir)
    doc['graphs']['patch_analyzer']['inputs']['hidden_states']['dtype'] = 'float16'
    writeManifest(dir, doc)
    const error = await openError(dir)
    const shape = (doc['graphs']['patch_analyzer']['inputs']['hidden_states']['shape'] as (string | number)[]).join(',')
    expect(error.problem).toMatchObject({ file: 'patch_analyzer.onnx', tensor: 'inputs.hidden_states', expected: `float16 [${shape}]` })
    expect(error.problem.found).toMatch(/^float32 \[/)
    expect(error.message).toContain(`patch_analyzer.onnx: input "hidden_states" is float32 [`)
    expect(error.message).toContain(`manifest.json declares float16 [${shape}]`)
  })

  test('EXPECTED FAILURE – a manifest declaring a graph without a tensor section 6 requires', async () => {
    const dir = copyPack()
    const doc = readManifest(dir)
    delete doc['graphs']['sam_decoder']['inputs']['prompt_embedding']
    writeManifest(dir, doc)
    const error = await openError(dir)
    expect(error.problem).toMatchObject({ file: 'manifest.json', tensor: 'graphs.sam_decoder.inputs.prompt_embedding' })
    expect(error.message).toContain(`graphs.sam_decoder.inputs.prompt_embedding is missing; section 6 requires it (float32|float16 [*,mask_embedding_dim=${doc['sizes']['mask_embedding_dim']}])`)
  })

  test('EXPECTED FAILURE – manifest problems name the field: version, sizes, JSON', async () => {
    const versioned = copyPack()
    writeManifest(versioned, { ...readManifest(versioned), format_version: 2 })
    expect((await openError(versioned)).message).toBe(`broken model pack ${versioned}: manifest.json: format_version 2 is not supported; this engine reads version 1`)

    const sized = copyPack()
    const doc = readManifest(sized)
    doc['sizes']['grid'] = 7
    writeManifest(sized, doc)
    expect((await openError(sized)).message).toBe(`broken model pack ${sized}: manifest.json: field sizes.grid: expected ${doc['sizes']['image_size'] / doc['sizes']['patch_size']}, found 7`)

    const garbled = copyPack()
    writeFileSync(join(garbled, 'manifest.json'), '{"format": "rose-model-pack",')
    expect((await openError(garbled)).message).toMatch(/manifest\.json: is not valid JSON \(/)
  })

  test('the registry lists sound and broken packs, keeps the active one when activating a broken one fails, and switches without restart', async () => {
    const folder = mkdtempSync(join(root, 'registry-'))
    const first = join(folder, 'a-first')
    const second = join(folder, 'b-second')
    const broken = join(folder, 'c-broken')
    for (const dir of [first, second, broken]) cpSync(copyPack(), dir, { recursive: true })
    const doc = readManifest(second)
    writeManifest(second, { ...doc, version: `${doc['version']}-b` })
    writeManifest(broken, { ...doc, version: `${doc['version']}-c` })
    rmSync(join(broken, 'vision_encoder.onnx'))
    const registry = new PackRegistry(pool, [{ dir: folder, kind: 'user' }])
    try {
      const listed = await registry.list()
      expect(listed.map((p) => [p.dir, p.state])).toEqual([
        [first, 'ok'],
        [second, 'ok'],
        [broken, 'broken']
      ])
      expect(listed[2]!.error).toMatchObject({ code: 'PACK_BROKEN', file: 'vision_encoder.onnx' })

      const pipeline = await registry.pipeline()
      expect(pipeline.pack.dir).toBe(first)
      const graphCount = Object.values(pipeline.manifest.graphs).filter((g) => g !== null).length
      const status = await pool.status()
      expect(status.graphs.map((g) => g.graph).filter((g) => g.startsWith(pipeline.pack.id)).length).toBe(graphCount)

      await expect(registry.activate(listed[2]!.id)).rejects.toThrow(/vision_encoder\.onnx: is missing/)
      expect(registry.activeId()).toBe(pipeline.pack.id)

      const switched = await registry.activate(listed[1]!.id)
      expect(switched.active).toBe(true)
      expect(registry.activePipeline()!.pack.dir).toBe(second)
      const graphs = (await pool.status()).graphs.map((g) => g.graph)
      expect(graphs.some((g) => g.startsWith(`${listed[0]!.id}/`))).toBe(false)
      expect(graphs.filter((g) => g.startsWith(`${listed[1]!.id}/`)).length).toBe(graphCount)
      expect((await registry.list()).filter((p) => p.active).map((p) => p.dir)).toEqual([second])
    } finally {
      await registry.dispose()
    }
  }, 60_000)
})
