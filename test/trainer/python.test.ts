// Runs the trainer's Python unit tests (generator, losses, assignment, bad input, a pretrain + finetune
// smoke run with export and onnx.checker) under Debian's /usr/bin/python3, as CI does.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('rose_trainer Python suite', () => {
  test('python3 -m unittest discover -s trainer/tests exits 0', () => {
    const result = spawnSync('/usr/bin/python3', ['-m', 'unittest', 'discover', '-s', 'trainer/tests'], {
      cwd: root,
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 900_000
    })
    const tail = `${result.stderr ?? ''}`.split('\n').slice(-40).join('\n')
    expect(result.error, tail).toBeUndefined()
    expect(result.status, tail).toBe(0)
    expect(result.stderr).toMatch(/\nOK/)
  }, 900_000)
})
