/** `0:09`, `4:05`, `1:02:03`: how long something takes, to the second. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`
}

/** `45/s` or `2.5/s`: a throughput with precision where it matters. */
export function formatRate(perSecond: number): string {
  return `${perSecond >= 10 ? Math.round(perSecond) : perSecond.toFixed(1)}/s`
}

/** The file name at the end of a project path (either separator). */
export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path
}

/** `1 image`, `1,204 images`: a count with its noun. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`
}
