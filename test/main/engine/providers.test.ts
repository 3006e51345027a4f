import { execFileSync } from 'node:child_process'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cudaLoadFailed,
  decideCuda,
  EXECUTION_PROVIDERS,
  GPU_SETUP_COMMAND,
  onnxruntimeBinaryFolder,
  parseDeviceSetting,
  providersFor,
  resolveDevice,
  systemCudaProbes,
  unresolvedLibraries,
  type CudaProbeResult
} from '../../../src-main/engine/providers'
import { makeTempDir } from '../images/image-factory'
import { NO_GPU } from './engine-fixtures'

const READY: CudaProbeResult = { ...NO_GPU, missingFiles: [], driverVersion: '550.54.15' }

describe('execution provider table', () => {
  it('maps CUDA to the CUDA provider with the CPU behind it, and CPU to the CPU alone', () => {
    expect(EXECUTION_PROVIDERS).toEqual({ cuda: ['cuda', 'cpu'], cpu: ['cpu'] })
    expect(providersFor('cuda')).toEqual(['cuda', 'cpu'])
    expect(providersFor('cpu')).toEqual(['cpu'])
  })

  it('resolves a setting to CUDA only when CUDA is available', () => {
    expect(resolveDevice('auto', decideCuda('auto', READY))).toBe('cuda')
    expect(resolveDevice('auto', decideCuda('auto', NO_GPU))).toBe('cpu')
    expect(resolveDevice('cpu', decideCuda('cpu', READY))).toBe('cpu')
  })

  it('BAD CALL – an unknown device names the parameter and the accepted values', () => {
    expect(() => providersFor('tpu' as never)).toThrow(new RangeError('device: expected one of cuda, cpu, got "tpu"'))
    expect(() => parseDeviceSetting('gpu')).toThrow(new RangeError('device: expected one of auto, cuda, cpu, got "gpu"'))
    expect(() => parseDeviceSetting(1, 'settings.engine.device')).toThrow(
      new TypeError('settings.engine.device: expected one of auto, cuda, cpu, got number')
    )
    expect(parseDeviceSetting('cuda')).toBe('cuda')
  })
})

describe('why CUDA is not used', () => {
  it('says nothing needs fixing when the settings choose the CPU', () => {
    expect(decideCuda('cpu', READY)).toEqual({ state: 'unavailable', kind: 'disabled', reason: 'The engine is set to run on the CPU.' })
  })

  it('reports a CUDA-capable machine as available with its driver version', () => {
    expect(decideCuda('auto', READY)).toEqual({ state: 'available', driverVersion: '550.54.15' })
  })

  it('points at the driver first when there is none, then at gpu:setup for the missing files', () => {
    const status = decideCuda('auto', NO_GPU)
    expect(status).toMatchObject({ state: 'unavailable', kind: 'no-driver' })
    if (status.state !== 'unavailable') throw new Error('unreachable')
    expect(status.reason).toBe('No NVIDIA driver is loaded (/proc/driver/nvidia/version missing, nvidia-smi not found).')
    expect(status.fix).toContain('nvidia-smi')
    expect(status.fix).toContain('Then run `npm run gpu:setup`')
  })

  it('names the missing provider files and the folder, with `npm run gpu:setup` as the fix', () => {
    const status = decideCuda('auto', { ...NO_GPU, driverVersion: '535.104.05' })
    expect(status).toEqual({
      state: 'unavailable',
      kind: 'not-installed',
      reason:
        "onnxruntime-node's CUDA provider is not installed (missing libonnxruntime_providers_cuda.so, libonnxruntime_providers_shared.so in /ort/bin/napi-v6/linux/x64).",
      fix: 'npm run gpu:setup'
    })
  })

  it('says the platform has no CUDA provider off linux/x64', () => {
    const status = decideCuda('cuda', { ...READY, platform: 'darwin/arm64' })
    expect(status).toMatchObject({
      kind: 'unsupported-platform',
      reason: 'onnxruntime-node has no CUDA provider for darwin/arm64 (only linux/x64).'
    })
  })

  it('keeps the library error of a failed CUDA session and suggests what the error points at', () => {
    expect(cudaLoadFailed(new Error('libcudnn.so.9: cannot open shared object file'))).toMatchObject({
      kind: 'load-failed',
      error: 'libcudnn.so.9: cannot open shared object file',
      fix: expect.stringContaining('cuDNN 9')
    })
    expect(cudaLoadFailed(new Error('libcublasLt.so.12: cannot open shared object file'))).toMatchObject({ fix: expect.stringContaining('CUDA 12 runtime') })
    expect(cudaLoadFailed(new Error('Failed to load library libonnxruntime_providers_shared.so'))).toMatchObject({ fix: GPU_SETUP_COMMAND })
    expect(cudaLoadFailed('CUDA failure 100: no CUDA-capable device is detected')).toMatchObject({
      error: 'CUDA failure 100: no CUDA-capable device is detected',
      fix: expect.stringContaining('nvidia-smi')
    })
  })
})

describe('machine probes', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  beforeAll(async () => {
    dir = await makeTempDir('rose-probes-')
  })
  afterAll(() => dir.dispose())

  it('finds the provider files and reads the driver version from the kernel module file', async () => {
    const bin = join(dir.path, 'bin')
    await mkdir(bin, { recursive: true })
    await writeFile(join(bin, 'libonnxruntime_providers_cuda.so'), '')
    await writeFile(join(bin, 'libonnxruntime_providers_shared.so'), '')
    const version = join(dir.path, 'version')
    await writeFile(version, 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc 12\n')
    const probe = await systemCudaProbes({ platform: 'linux/x64', binaryFolder: bin, driverVersionFile: version }).probe()
    expect(probe).toEqual({ platform: 'linux/x64', binaryFolder: bin, missingFiles: [], driverVersion: '550.54.15', driverDetail: version })
    expect(decideCuda('auto', probe)).toEqual({ state: 'available', driverVersion: '550.54.15' })
  })

  it('falls back to nvidia-smi when the kernel file is hidden (containers)', async () => {
    const smi = join(dir.path, 'nvidia-smi')
    await writeFile(smi, '#!/bin/sh\necho 535.104.05\n')
    await chmod(smi, 0o755)
    const probe = await systemCudaProbes({ binaryFolder: dir.path, driverVersionFile: join(dir.path, 'absent'), nvidiaSmi: smi }).probe()
    expect(probe.driverVersion).toBe('535.104.05')
    expect(probe.missingFiles).toEqual(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'])
  })

  it('reports no driver when neither the kernel file nor nvidia-smi is there', async () => {
    const probe = await systemCudaProbes({
      binaryFolder: dir.path,
      driverVersionFile: join(dir.path, 'absent'),
      nvidiaSmi: join(dir.path, 'no-such-nvidia-smi')
    }).probe()
    expect(probe.driverVersion).toBeUndefined()
    expect(probe.driverDetail).toBe(`${join(dir.path, 'absent')} missing, ${join(dir.path, 'no-such-nvidia-smi')} not found`)
  })

  it("looks for the CUDA files in onnxruntime-node's own binary folder and agrees with what is on disk", async () => {
    const folder = onnxruntimeBinaryFolder('linux/x64')
    expect(folder).toMatch(/onnxruntime-node[/\\]bin[/\\]napi-v6[/\\]linux[/\\]x64$/)
    const probe = await systemCudaProbes().probe()
    expect(probe.missingFiles.length === 0).toBe(existsSync(join(folder, 'libonnxruntime_providers_cuda.so')) && existsSync(join(folder, 'libonnxruntime_providers_shared.so')))
    if (!existsSync('/proc/driver/nvidia/version')) expect(probe.driverVersion === undefined || probe.driverDetail.includes('nvidia-smi')).toBe(true)
  })
})

describe('naming the libraries a failed CUDA provider could not load', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>
  beforeAll(async () => {
    dir = await makeTempDir('rose-ldd-')
  })
  afterAll(() => dir.dispose())

  it("reads ldd's not-found lines, and the fix follows the first missing library", async () => {
    const ldd = join(dir.path, 'ldd')
    // What glibc's ldd prints for onnxruntime's CUDA provider on a machine without cuDNN.
    await writeFile(
      ldd,
      '#!/bin/sh\nprintf "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibcublasLt.so.12 => /usr/lib/x86_64-linux-gnu/libcublasLt.so.12 (0x7f)\n' +
        '\tlibcudnn.so.9 => not found\n\tlibcufft.so.11 => not found\n\tlibcudnn.so.9 => not found\n"\n'
    )
    await chmod(ldd, 0o755)
    expect(await unresolvedLibraries('/any/libonnxruntime_providers_cuda.so', ldd)).toEqual(['libcudnn.so.9', 'libcufft.so.11'])
    const bin = join(dir.path, 'bin')
    await mkdir(bin, { recursive: true })
    await writeFile(join(bin, 'libonnxruntime_providers_cuda.so'), '')
    await writeFile(join(bin, 'libonnxruntime_providers_shared.so'), '')
    const missing = await systemCudaProbes({ binaryFolder: bin, ldd }).missingLibraries!()
    const status = cudaLoadFailed(new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'), missing)
    expect(status).toEqual({
      state: 'unavailable',
      kind: 'load-failed',
      reason: 'CUDA is installed but onnxruntime could not create a session on it.',
      fix: expect.stringContaining('cuDNN 9'),
      error: 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library (not found: libcudnn.so.9, libcufft.so.11)'
    })
  })

  it("names the provider's own files when they are missing, and the fix is gpu:setup", async () => {
    const missing = await systemCudaProbes({ binaryFolder: join(dir.path, 'empty') }).missingLibraries!()
    expect(missing).toEqual(['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'])
    expect(cudaLoadFailed(new Error('Failed to load shared library'), missing)).toMatchObject({ fix: GPU_SETUP_COMMAND })
  })

  it("finds nothing missing for onnxruntime's own CPU library, and nothing when ldd is absent", async () => {
    if (`${process.platform}/${process.arch}` !== 'linux/x64') return
    expect(await unresolvedLibraries(join(onnxruntimeBinaryFolder('linux/x64'), 'libonnxruntime.so.1'))).toEqual([])
    expect(await unresolvedLibraries('/bin/sh', join(dir.path, 'no-such-ldd'))).toEqual([])
  })
})

describe('gpu:setup script', () => {
  it("runs onnxruntime-node's own installer with the CUDA 12 flag", () => {
    const out = execFileSync(process.execPath, ['scripts/gpu-setup.js', '--dry-run'], { encoding: 'utf8' })
    if (`${process.platform}/${process.arch}` !== 'linux/x64') return
    expect(out).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12 \S+ \S*onnxruntime-node[/\\]script[/\\]install\.js/)
  })
})
