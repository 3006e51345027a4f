#!/usr/bin/env node
// Installs onnxruntime-node's CUDA execution provider (libonnxruntime_providers_cuda.so and
// libonnxruntime_providers_shared.so) on a Linux x64 machine with an NVIDIA GPU: `npm run gpu:setup`.
//
// The project skips onnxruntime-node's postinstall (it downloads ~400 MB from NuGet and fails
// offline), so the CUDA files are missing until this runs. It runs that same installer
// (node_modules/onnxruntime-node/script/install.js) with its CUDA flag. ONNXRUNTIME_NODE_INSTALL
// takes precedence over the `onnxruntime-node-install=skip` that npm may pass from an .npmrc.
//
// Needs network access to api.nuget.org, and at run time the CUDA 12 runtime and cuDNN 9 libraries
// (not installed by this script). `--dry-run` prints what would run.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

const platform = `${process.platform}/${process.arch}`
if (platform !== 'linux/x64') {
  console.error(`onnxruntime-node ${ortVersion()} has a CUDA provider only for linux/x64; this is ${platform}. The engine will use the CPU.`)
  process.exit(1)
}

const packageRoot = dirname(require.resolve('onnxruntime-node/package.json'))
const installer = join(packageRoot, 'script', 'install.js')
const binaries = join(packageRoot, 'bin', 'napi-v6', 'linux', 'x64')
const wanted = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' }
delete env.npm_config_onnxruntime_node_install
delete env.ONNXRUNTIME_NODE_INSTALL_CUDA

console.log(`Installing onnxruntime-node ${ortVersion()}'s CUDA 12 provider into ${binaries}`)
console.log(`  ONNXRUNTIME_NODE_INSTALL=cuda12 ${process.execPath} ${installer}`)
if (process.argv.includes('--dry-run')) process.exit(0)

const result = spawnSync(process.execPath, [installer], { env, stdio: 'inherit', cwd: packageRoot })
const missing = wanted.filter((file) => !existsSync(join(binaries, file)))
if (result.status !== 0 || missing.length > 0) {
  console.error(`\nThe CUDA provider was not installed${missing.length > 0 ? ` (missing ${missing.join(', ')})` : ''}.`)
  console.error('Check the network access to https://api.nuget.org, then run `npm run gpu:setup` again.')
  process.exit(result.status || 1)
}
console.log('\nDone. The engine uses CUDA on its next start when the NVIDIA driver, the CUDA 12 runtime and cuDNN 9 are present;')
console.log('the engine status says which provider each graph runs on, and why not CUDA.')

function ortVersion() {
  try {
    return require('onnxruntime-node/package.json').version
  } catch {
    return '(not installed)'
  }
}
