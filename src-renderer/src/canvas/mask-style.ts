import type { InstanceStatusValue } from '../../../src-preload/contract'
import { assertNever } from './mode'
import { BOUNDARY, INSIDE, type MaskCells } from './mask-cells'

/** How much attention an instance has: the pointer is over it, or it is selected. */
export type Emphasis = 'none' | 'hover' | 'selected'

/** Colours and alphas one mask is painted with. */
export interface MaskStyle {
  readonly fill: readonly [number, number, number]
  readonly fillAlpha: number
  readonly outline: readonly [number, number, number]
  readonly outlineAlpha: number
  /** Proposals get a dashed outline so they read as "not yet accepted" at a glance. */
  readonly dashed: boolean
}

/** `#rrggbb` (or `#rgb`) → [r, g, b]; anything else is a neutral grey. */
export function parseHexColor(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim())
  if (!m) return [154, 160, 166]
  const digits = m[1]!.length === 3 ? [...m[1]!].map((d) => d + d).join('') : m[1]!
  return [parseInt(digits.slice(0, 2), 16), parseInt(digits.slice(2, 4), 16), parseInt(digits.slice(4, 6), 16)]
}

const WHITE: readonly [number, number, number] = [255, 255, 255]

/** The style for an instance of this colour, review status and emphasis. */
export function maskStyle(color: string, status: InstanceStatusValue, emphasis: Emphasis): MaskStyle {
  const rgb = parseHexColor(color)
  const lift = emphasis === 'selected' ? 0.25 : emphasis === 'hover' ? 0.15 : 0
  const outline = emphasis === 'selected' ? WHITE : rgb
  switch (status) {
    case 'accepted':
      return { fill: rgb, fillAlpha: 0.38 + lift, outline, outlineAlpha: 1, dashed: false }
    case 'proposed':
      return { fill: rgb, fillAlpha: 0.28 + lift, outline, outlineAlpha: 1, dashed: true }
    case 'rejected':
      return { fill: rgb, fillAlpha: 0.08 + lift, outline, outlineAlpha: 0.45 + lift, dashed: true }
    default:
      return assertNever(status)
  }
}

const PREVIEW_FILL: readonly [number, number, number] = [76, 194, 255]

/**
 * The engine's proposed mask before it is named: the accent colour with a white outline, unlike any
 * stored instance (those take their category's colour). Dimmed while a newer prompt is being answered.
 */
export function previewStyle(pending: boolean): MaskStyle {
  return { fill: PREVIEW_FILL, fillAlpha: pending ? 0.22 : 0.42, outline: WHITE, outlineAlpha: pending ? 0.6 : 1, dashed: false }
}

function pack(rgb: readonly [number, number, number], alpha: number): number {
  // ImageData is RGBA in memory; read as little-endian 32-bit words that is 0xAABBGGRR.
  const a = Math.round(Math.min(1, Math.max(0, alpha)) * 255)
  return ((a << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0
}

/** Writes the mask's colours into RGBA pixels viewed as 32-bit words (one per cell). */
export function paintCells(cells: MaskCells, style: MaskStyle, target: Uint32Array): void {
  const fill = pack(style.fill, style.fillAlpha)
  const line = pack(style.outline, style.outlineAlpha)
  const { codes, cols } = cells
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]
    if (code === INSIDE) target[i] = fill
    else if (code === BOUNDARY) {
      const dashOn = !style.dashed || (((i % cols) + Math.floor(i / cols)) % 6) < 4
      target[i] = dashOn ? line : fill
    } else target[i] = 0
  }
}
