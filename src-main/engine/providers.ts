/**
 * Which onnxruntime-node execution providers the engine uses, and — when CUDA is not among them —
 * why not and the one thing that fixes it. The decision is a pure function of a device setting and
 * of what the probes saw, so it is tested with injected probes; `systemCudaProbes` looks at the
 * real machine (onnxruntime-node's CUDA files, the NVIDIA driver).
 *
 * onnxruntime-node 1.30 ships CUDA support only for linux/x64, and even there the CUDA provider
 * libraries are not in the npm tarball: its `script/install` downloads them from NuGet at install
 * time, which this project skips (`allowScripts`), so `npm run gpu:setup` runs that installer with
 * the CUDA flag on a user's machine.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** What the user asked for in settings: `auto` uses CUDA when it works, else the CPU. */
export type DeviceSetting = 'auto' | 'cuda' | 'cpu'

/** A device a graph actually runs on. */
export type Device = 'cuda' | 'cpu'

/** An onnxruntime-node execution provider name. */
export type ProviderName = 'cuda' | 'cpu'

/** The accepted device settings, for validating a settings value. */
export const DEVICE_SETTINGS: readonly DeviceSetting[] = ['auto', 'cuda', 'cpu']

/**
 * Device → execution providers, most preferred first. CUDA keeps the CPU provider behind it so
 * that an operator without a CUDA kernel still runs (onnxruntime assigns it to the CPU).
 */
export const EXECUTION_PROVIDERS: Readonly<Record<Device, readonly ProviderName[]>> = {
  cuda: ['cuda', 'cpu'],
  cpu: ['cpu']
}

/** Platforms (`process.platform/process.arch`) for which onnxruntime-node 1.30 has a CUDA provider. */
export const CUDA_PLATFORMS: readonly string[] = ['linux/x64']

/** The files onnxruntime-node's installer puts beside its binding for the CUDA provider on linux/x64. */
export const CUDA_PROVIDER_FILES: readonly string[] = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']

/** The command that installs onnxruntime-node's CUDA provider files (see scripts/gpu-setup.js). */
export const GPU_SETUP_COMMAND = 'npm run gpu:setup'

/** Why CUDA is not used; each kind has its own fix. */
export type CudaUnavailableKind =
  /** The settings say CPU. */
  | 'disabled'
  /** onnxruntime-node has no CUDA provider for this OS/CPU. */
  | 'unsupported-platform'
  /** onnxruntime-node's CUDA provider files are not installed. */
  | 'not-installed'
  /** No NVIDIA kernel driver is loaded (no /proc/driver/nvidia/version, no working nvidia-smi). */
  | 'no-driver'
  /** Everything is present, but creating a session on CUDA failed; `error` is the library's message. */
  | 'load-failed'

/** Whether CUDA can be used, and if not, why and what fixes it. */
export type CudaStatus =
  | { readonly state: 'available'; readonly driverVersion?: string }
  | {
      readonly state: 'unavailable'
      readonly kind: CudaUnavailableKind
      /** One sentence for the user saying why. */
      readonly reason: string
      /** The one command or action that fixes it; absent when nothing needs fixing (CPU chosen on purpose). */
      readonly fix?: string
      /** The library's own error text, for `load-failed`. */
      readonly error?: string
    }

/** What the probes report about this machine; each field is filled by one cheap check. */
export interface CudaProbeResult {
  /** `process.platform/process.arch`, e.g. `linux/x64`. */
  readonly platform: string
  /** CUDA provider files missing from onnxruntime-node's binary folder (empty when all are there). */
  readonly missingFiles: readonly string[]
  /** The folder those files belong in, for messages. */
  readonly binaryFolder: string
  /** The NVIDIA driver version when a driver is loaded, else undefined. */
  readonly driverVersion: string | undefined
  /** What the driver check saw when it found no driver (for the message). */
  readonly driverDetail: string
}

/** The machine checks, injectable so the decision logic is testable without a GPU. */
export interface CudaProbes {
  probe(): Promise<CudaProbeResult>
  /**
   * After a CUDA session failed to load: the shared libraries the CUDA provider needs that the
   * loader cannot find. onnxruntime's own message is only "Failed to load shared library"; the name
   * of the missing library is what tells the user what to install.
   */
  missingLibraries?(): Promise<readonly string[]>
}

/**
 * Decides whether CUDA can be tried, from the setting and the probes. `load-failed` is not decided
 * here: it is known only after a session creation on CUDA throws (see `cudaLoadFailed`).
 */
export function decideCuda(setting: DeviceSetting, probe: CudaProbeResult): CudaStatus {
  checkSetting(setting)
  if (setting === 'cpu') {
    return { state: 'unavailable', kind: 'disabled', reason: 'The engine is set to run on the CPU.' }
  }
  if (!CUDA_PLATFORMS.includes(probe.platform)) {
    return {
      state: 'unavailable',
      kind: 'unsupported-platform',
      reason: `onnxruntime-node has no CUDA provider for ${probe.platform} (only ${CUDA_PLATFORMS.join(', ')}).`,
      fix: 'Run the engine on a Linux x64 machine with an NVIDIA GPU (serve mode) to use CUDA.'
    }
  }
  // The driver is checked first: without it the CUDA files would be useless, and installing them is the larger step.
  if (probe.driverVersion === undefined) {
    return {
      state: 'unavailable',
      kind: 'no-driver',
      reason: `No NVIDIA driver is loaded (${probe.driverDetail}).`,
      fix:
        'Install the NVIDIA driver for your GPU (e.g. `sudo apt install nvidia-driver`), reboot, and check that `nvidia-smi` lists the GPU.' +
        (probe.missingFiles.length > 0 ? ` Then run \`${GPU_SETUP_COMMAND}\` to install onnxruntime-node's CUDA provider.` : '')
    }
  }
  if (probe.missingFiles.length > 0) {
    return {
      state: 'unavailable',
      kind: 'not-installed',
      reason: `onnxruntime-node's CUDA provider is not installed (missing ${probe.missingFiles.join(', ')} in ${probe.binaryFolder}).`,
      fix: GPU_SETUP_COMMAND
    }
  }
  return { state: 'available', driverVersion: probe.driverVersion }
}

/**
 * The status after a session failed to load on CUDA, keeping the library's error for the user;
 * `missingLibraries` (from `CudaProbes.missingLibraries`) names what the loader could not find.
 */
export function cudaLoadFailed(error: unknown, missingLibraries: readonly string[] = []): CudaStatus {
  const message = error instanceof Error ? error.message : String(error)
  const text = missingLibraries.length > 0 ? `${message} (not found: ${missingLibraries.join(', ')})` : message
  return {
    state: 'unavailable',
    kind: 'load-failed',
    reason: 'CUDA is installed but onnxruntime could not create a session on it.',
    fix: loadFailureFix(text),
    error: text
  }
}

// The usual causes of a CUDA load failure are missing CUDA 12 runtime libraries or cuDNN 9,
// which onnxruntime's CUDA provider links against but does not ship.
function loadFailureFix(error: string): string {
  if (/libcudnn/i.test(error)) return 'Install cuDNN 9 for CUDA 12 (e.g. `sudo apt install libcudnn9-cuda-12`) so that libcudnn.so.9 is on the library path.'
  if (/libcu(blas|blasLt|fft|rand|dart)/i.test(error)) {
    return 'Install the CUDA 12 runtime libraries (e.g. `sudo apt install cuda-libraries-12-x`) so that libcudart.so.12 and libcublas.so.12 are on the library path.'
  }
  if (/libonnxruntime_providers/i.test(error)) return GPU_SETUP_COMMAND
  return 'Check that the GPU works (`nvidia-smi`), that the CUDA 12 runtime and cuDNN 9 are installed, then restart the engine.'
}

/** The device a setting resolves to, given what is known about CUDA. */
export function resolveDevice(setting: DeviceSetting, cuda: CudaStatus): Device {
  checkSetting(setting)
  return cuda.state === 'available' ? 'cuda' : 'cpu'
}

/** The execution providers for a device, from the lookup table. */
export function providersFor(device: Device): readonly ProviderName[] {
  const providers = EXECUTION_PROVIDERS[device]
  if (providers === undefined) throw new RangeError(`device: expected one of ${Object.keys(EXECUTION_PROVIDERS).join(', ')}, got ${JSON.stringify(device)}`)
  return providers
}

/** Parses a device setting from settings or the environment; throws a RangeError naming the parameter. */
export function parseDeviceSetting(value: unknown, name = 'device'): DeviceSetting {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected one of ${DEVICE_SETTINGS.join(', ')}, got ${describe(value)}`)
  checkSetting(value as DeviceSetting, name)
  return value as DeviceSetting
}

function checkSetting(setting: DeviceSetting, name = 'setting'): void {
  if (!DEVICE_SETTINGS.includes(setting)) {
    throw new RangeError(`${name}: expected one of ${DEVICE_SETTINGS.join(', ')}, got ${describe(setting)}`)
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : typeof value
}

/** Options for the real machine probes; every part can be replaced (tests, other layouts). */
export interface SystemCudaProbeOptions {
  readonly platform?: string
  /** onnxruntime-node's binary folder for this platform; found from the installed package by default. */
  readonly binaryFolder?: string
  /** Where the NVIDIA kernel module reports its version. */
  readonly driverVersionFile?: string
  /** The nvidia-smi executable; tried when the version file is unreadable (e.g. in a container). */
  readonly nvidiaSmi?: string
  /** Longest wait for nvidia-smi, in ms: a wedged driver can make it hang. */
  readonly nvidiaSmiTimeoutMs?: number
  /** The ldd executable, used to name the libraries a failed CUDA provider could not load. */
  readonly ldd?: string
}

/** Probes that look at this machine: onnxruntime-node's files, /proc/driver/nvidia/version, nvidia-smi. */
export function systemCudaProbes(options: SystemCudaProbeOptions = {}): CudaProbes {
  const platform = options.platform ?? `${process.platform}/${process.arch}`
  const folder = (): string => options.binaryFolder ?? onnxruntimeBinaryFolder(platform)
  return {
    async probe() {
      const binaryFolder = folder()
      const driver = await probeDriver(options)
      return { platform, binaryFolder, missingFiles: missingProviderFiles(binaryFolder), driverVersion: driver.version, driverDetail: driver.detail }
    },
    async missingLibraries() {
      const binaryFolder = folder()
      const missing = missingProviderFiles(binaryFolder)
      if (missing.length > 0) return missing
      return unresolvedLibraries(join(binaryFolder, CUDA_PROVIDER_FILES[0]!), options.ldd)
    }
  }
}

/**
 * The shared libraries `file` links against that the dynamic loader cannot find, from `ldd`'s
 * "name => not found" lines; empty when all resolve or when ldd itself is unavailable.
 */
export function unresolvedLibraries(file: string, ldd = 'ldd'): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(ldd, [file], { timeout: 10_000, encoding: 'utf8' }, (_error, stdout) => {
      const missing = (stdout ?? '')
        .split('\n')
        .map((line) => /^\s*(\S+)\s+=>\s+not found/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined)
      resolve([...new Set(missing)])
    })
  })
}

// The CUDA provider files onnxruntime-node's installer has not put in `binaryFolder`.
function missingProviderFiles(binaryFolder: string): string[] {
  return CUDA_PROVIDER_FILES.filter((file) => !existsSync(join(binaryFolder, file)))
}

/** onnxruntime-node's `bin/napi-v6/<platform>` folder, where its installer puts the CUDA files. */
export function onnxruntimeBinaryFolder(platform = `${process.platform}/${process.arch}`): string {
  const require = createRequire(import.meta.url)
  const packageRoot = dirname(require.resolve('onnxruntime-node/package.json'))
  return join(packageRoot, 'bin', 'napi-v6', platform)
}

async function probeDriver(options: SystemCudaProbeOptions): Promise<{ version: string | undefined; detail: string }> {
  const file = options.driverVersionFile ?? '/proc/driver/nvidia/version'
  try {
    const text = await readFile(file, 'utf8')
    // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 ..."
    const match = /Kernel Module\s+(?:for \S+\s+)?([\d.]+)/.exec(text) ?? /\b(\d{3,}\.\d+(?:\.\d+)?)\b/.exec(text)
    return { version: match?.[1] ?? text.split('\n')[0]?.trim() ?? 'unknown', detail: file }
  } catch {
    // Fall through: containers often hide /proc/driver/nvidia but still expose nvidia-smi.
  }
  const smi = options.nvidiaSmi ?? 'nvidia-smi'
  return new Promise((resolve) => {
    execFile(
      smi,
      ['--query-gpu=driver_version', '--format=csv,noheader'],
      { timeout: options.nvidiaSmiTimeoutMs ?? 5000, encoding: 'utf8' },
      (error, stdout) => {
        const version = stdout?.split('\n')[0]?.trim()
        if (error === null && version) resolve({ version, detail: smi })
        else {
          const why = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT' ? `${smi} not found` : `${smi} failed`
          resolve({ version: undefined, detail: `${file} missing, ${why}` })
        }
      }
    )
  })
}
