/**
 * Importing 10,000 images: generates small, varied images (JPEG/PNG/WebP, 64–400 px, some with EXIF
 * orientation) in a temporary folder, then imports them through importImages into an in-memory sink,
 * into the real SQLite project store, and once more into the store (every file a duplicate). Prints
 * total time, images per second and peak resident memory for each. Then the same import as the UI runs
 * it (the `images:import` job through AppServices), with the main thread's event-loop delay and the
 * latency of `images:list` pages asked for while it runs: what keeps the UI from stalling.
 *
 * Run: npx vitest run --config bench/vitest.config.ts bench/import.bench.ts
 * BENCH_IMAGES=2000 for a quicker run; BENCH_CONCURRENCY to override the default concurrency.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { AppServices } from '../src-main/app/app-services'
import { importImages, type ImageSink } from '../src-main/images/import-images'
import { ProjectStore } from '../src-main/store/project-store'
import { MemoryImageSink } from '../test/main/images/memory-image-sink'

const COUNT = Number(process.env.BENCH_IMAGES ?? 10_000)
const CONCURRENCY = process.env.BENCH_CONCURRENCY === undefined ? undefined : Number(process.env.BENCH_CONCURRENCY)
let work: string
let images: string

/** Deterministic pseudo-random numbers, so every run imports the same images. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

async function makeImage(index: number): Promise<void> {
  const next = random(index + 1)
  const width = 64 + Math.floor(next() * 336)
  const height = 64 + Math.floor(next() * 336)
  // A gradient with a few shapes: compresses like a real picture rather than like noise.
  const [r, g, b] = [next() * 255, next() * 255, next() * 255].map(Math.round)
  const circles = Array.from({ length: 1 + Math.floor(next() * 5) }, () => {
    const cx = Math.round(next() * width)
    const cy = Math.round(next() * height)
    const radius = Math.round(8 + next() * Math.min(width, height) * 0.3)
    const fill = `rgb(${Math.round(next() * 255)},${Math.round(next() * 255)},${Math.round(next() * 255)})`
    return `<circle cx="${cx}" cy="${cy}" r="${radius}" fill="${fill}"/>`
  }).join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="rgb(${r},${g},${b})"/><stop offset="1" stop-color="rgb(${b},${r},${g})"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${circles}<text x="4" y="20" font-size="14">${index}</text></svg>`
  let pipeline = sharp(Buffer.from(svg))
  const kind = index % 10
  if (kind === 7) pipeline = pipeline.withMetadata({ orientation: 6 })
  const folder = join(images, `batch-${Math.floor(index / 1000)}`)
  if (kind < 7) await writeFile(join(folder, `img-${index}.jpg`), await pipeline.jpeg({ quality: 85 }).toBuffer())
  else if (kind < 9) await writeFile(join(folder, `img-${index}.png`), await pipeline.png().toBuffer())
  else await writeFile(join(folder, `img-${index}.webp`), await pipeline.webp({ quality: 80 }).toBuffer())
}

async function pool(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++)
    })
  )
}

interface Figures {
  seconds: number
  perSecond: number
  peakRssMiB: number
  rssBeforeMiB: number
  imported: number
  duplicates: number
  failed: number
}

async function measure(projectRoot: string, sink: ImageSink): Promise<Figures> {
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const sample = (): void => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }
  const timer = setInterval(sample, 25)
  const started = performance.now()
  const report = await importImages(
    { paths: [images], recursive: true, projectRoot, sink, ...(CONCURRENCY === undefined ? {} : { concurrency: CONCURRENCY }) },
    sample
  )
  const seconds = (performance.now() - started) / 1000
  clearInterval(timer)
  sample()
  return {
    seconds,
    perSecond: COUNT / seconds,
    peakRssMiB: peak / 2 ** 20,
    rssBeforeMiB: before / 2 ** 20,
    imported: report.imported,
    duplicates: report.skippedDuplicates.length,
    failed: report.failed.length
  }
}

function print(label: string, f: Figures): void {
  console.log(
    `${label.padEnd(38)} ${f.seconds.toFixed(1).padStart(6)} s  ${f.perSecond.toFixed(0).padStart(5)} images/s  ` +
      `peak RSS ${f.peakRssMiB.toFixed(0)} MiB (before ${f.rssBeforeMiB.toFixed(0)} MiB)  ` +
      `imported ${f.imported}, duplicates ${f.duplicates}, failed ${f.failed}`
  )
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rose-import-bench-'))
  images = join(work, 'images')
  for (let b = 0; b * 1000 < COUNT; b++) await mkdir(join(images, `batch-${b}`), { recursive: true })
  const started = performance.now()
  await pool(COUNT, 4, makeImage)
  console.log(`generated ${COUNT} images in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}, 600_000)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

it(`imports ${COUNT} images`, async () => {
  console.log(`node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, concurrency ${CONCURRENCY ?? 'default'}`)
  const memory = await measure(join(work, 'project-memory'), new MemoryImageSink())
  print('in-memory sink', memory)
  expect(memory.imported).toBe(COUNT)

  const root = join(work, 'project-sqlite')
  const store = ProjectStore.open(root)
  try {
    const sqlite = await measure(root, store)
    print('SQLite project store', sqlite)
    expect(sqlite.imported).toBe(COUNT)
    const again = await measure(root, store)
    print('SQLite store, re-import (all duplicates)', again)
    expect(again.duplicates).toBe(COUNT)
  } finally {
    store.close()
  }
})

it(`keeps the main thread responsive while ${COUNT} images import as a job, and lists them page by page`, async () => {
  const services = await AppServices.create({
    version: 'bench',
    transport: 'websocket',
    resourcesDir: join(work, 'no-resources'),
    projectDir: join(work, 'project-job'),
    defaultProjectDir: join(work, 'unused-default')
  })
  const call = async (channel: string, request: unknown): Promise<any> => {
    const envelope = await services.dispatch(channel, request)
    if (!envelope.ok) throw new Error(`${channel}: ${envelope.error.message}`)
    return envelope.value
  }
  try {
    let progressEvents = 0
    let finished!: () => void
    const done = new Promise<void>((resolve) => (finished = resolve))
    const subscription = services.events.onDidFire((message) => {
      if (message.event === 'job:progress') progressEvents++
      if (message.event === 'job:done') finished()
    })
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const listMs: number[] = []
    const started = performance.now()
    await call('images:import', { paths: [images], recursive: true })
    // The UI's list asks for a page while the import runs (scrolling, counts refreshing).
    let polling = true
    const poller = (async () => {
      for (let k = 0; polling; k++) {
        const t = performance.now()
        await call('images:list', { offset: (k * 997) % Math.max(1, COUNT - 100), limit: 100 })
        listMs.push(performance.now() - t)
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    await done
    polling = false
    await poller
    delay.disable()
    subscription.dispose()
    const seconds = (performance.now() - started) / 1000
    const pct = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!
    console.log(
      `import job through AppServices: ${seconds.toFixed(1)} s, ${progressEvents} progress events; main-thread event-loop delay (10 ms sampling interval included) ` +
        `p50 ${(delay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; ` +
        `images:list (100) during the import: p50 ${pct(listMs, 50).toFixed(1)} ms, p95 ${pct(listMs, 95).toFixed(1)} ms, max ${Math.max(...listMs).toFixed(1)} ms over ${listMs.length} pages`
    )
    const pageMs: number[] = []
    let seen = 0
    for (let offset = 0; offset < COUNT; offset += 100) {
      const t = performance.now()
      const page = await call('images:list', { offset, limit: 100 })
      pageMs.push(performance.now() - t)
      seen += page.items.length
    }
    console.log(`listing all ${seen} images in pages of 100 afterwards: p50 ${pct(pageMs, 50).toFixed(2)} ms, p95 ${pct(pageMs, 95).toFixed(2)} ms, max ${Math.max(...pageMs).toFixed(2)} ms`)
    expect(seen).toBe(COUNT)
    expect(progressEvents).toBeGreaterThan(0)
  } finally {
    await services.close()
  }
}, 900_000)
