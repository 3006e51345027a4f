import type { InstanceStatusValue } from '../../../src-preload/contract'
import { parseHexColor, type Emphasis } from './mask-style'
import type { ViewTransform } from './viewport'

/** What the overlay needs to label one instance. */
export interface LabelledBox {
  readonly id: number
  readonly bbox: readonly [number, number, number, number]
  readonly label: string
  readonly color: string
  readonly status: InstanceStatusValue
  readonly emphasis: Emphasis
}

const STATUS_GLYPH: Readonly<Record<InstanceStatusValue, string>> = { accepted: '✓', proposed: '?', rejected: '✕' }
const FONT = '600 11px Inter, "Segoe UI", system-ui, sans-serif'
const CHIP_H = 16
// Objects narrower than this on screen get no label unless hovered or selected: labels would hide them.
const MIN_LABELLED_PX = 10

function screenBox(b: LabelledBox, t: ViewTransform): { x: number; y: number; w: number; h: number } {
  return { x: b.bbox[0] * t.zoom + t.x, y: b.bbox[1] * t.zoom + t.y, w: b.bbox[2] * t.zoom, h: b.bbox[3] * t.zoom }
}

interface Chip {
  readonly x: number
  readonly y: number
  readonly w: number
}

function overlaps(a: Chip, b: Chip): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + CHIP_H && b.y < a.y + CHIP_H
}

/**
 * Draws a category chip at the top-left of each instance. Hovered and selected instances are placed
 * first, then the others largest first; a chip that would cover another, or that is much wider than
 * its object, is left out, so a crowded image shows readable labels instead of a wall of them.
 */
export function drawInstanceLabels(
  g: CanvasRenderingContext2D,
  boxes: readonly LabelledBox[],
  t: ViewTransform,
  view: { readonly width: number; readonly height: number }
): void {
  g.save()
  g.font = FONT
  g.textBaseline = 'middle'
  const emphasised = boxes.filter((b) => b.emphasis !== 'none')
  const others = boxes.filter((b) => b.emphasis === 'none').sort((a, b) => b.bbox[2] * b.bbox[3] - a.bbox[2] * a.bbox[3])
  const placed: { box: LabelledBox; chip: Chip; text: string }[] = []
  for (const b of [...emphasised, ...others]) {
    const s = screenBox(b, t)
    if (s.x > view.width || s.y > view.height || s.x + s.w < 0 || s.y + s.h < 0) continue
    const text = `${STATUS_GLYPH[b.status]} ${b.label}`
    const w = Math.ceil(g.measureText(text).width) + 10
    if (b.emphasis === 'none' && (s.w < MIN_LABELLED_PX || s.w * 2 < w)) continue
    // Above the box when there is room, else just inside its top edge; always inside the view.
    const x = Math.min(Math.max(0, s.x), Math.max(0, view.width - w))
    const y = Math.min(Math.max(0, s.y - CHIP_H - 1 >= 0 ? s.y - CHIP_H - 1 : s.y + 1), Math.max(0, view.height - CHIP_H))
    const chip = { x, y, w }
    if (b.emphasis === 'none' && placed.some((p) => overlaps(p.chip, chip))) continue
    placed.push({ box: b, chip, text })
  }
  // Paint in reverse so the emphasised chips, placed first, end up on top.
  for (const { box: b, chip, text } of placed.reverse()) {
    g.globalAlpha = b.status === 'rejected' && b.emphasis === 'none' ? 0.55 : 1
    g.fillStyle = b.emphasis === 'selected' ? '#ffffff' : b.color
    g.beginPath()
    g.roundRect(chip.x, chip.y, chip.w, CHIP_H, 3)
    g.fill()
    g.fillStyle = b.emphasis === 'selected' ? '#111418' : readableTextOn(b.color)
    g.fillText(text, chip.x + 5, chip.y + CHIP_H / 2 + 0.5)
  }
  g.restore()
}

/** Draws corner brackets around the selected instance's box, visible on any image. */
export function drawSelectionFrame(g: CanvasRenderingContext2D, b: LabelledBox, t: ViewTransform): void {
  const s = screenBox(b, t)
  const pad = 3
  const x0 = s.x - pad
  const y0 = s.y - pad
  const x1 = s.x + s.w + pad
  const y1 = s.y + s.h + pad
  const arm = Math.min(14, (x1 - x0) / 2, (y1 - y0) / 2)
  g.save()
  g.lineCap = 'square'
  for (const [width, colour] of [
    [4, 'rgba(0,0,0,0.55)'],
    [2, '#ffffff']
  ] as const) {
    g.lineWidth = width
    g.strokeStyle = colour
    g.beginPath()
    g.moveTo(x0, y0 + arm)
    g.lineTo(x0, y0)
    g.lineTo(x0 + arm, y0)
    g.moveTo(x1 - arm, y0)
    g.lineTo(x1, y0)
    g.lineTo(x1, y0 + arm)
    g.moveTo(x1, y1 - arm)
    g.lineTo(x1, y1)
    g.lineTo(x1 - arm, y1)
    g.moveTo(x0 + arm, y1)
    g.lineTo(x0, y1)
    g.lineTo(x0, y1 - arm)
    g.stroke()
  }
  g.restore()
}

/** Black or white text, whichever reads better on a `#rrggbb` background. */
export function readableTextOn(hex: string): string {
  const [r, g, b] = parseHexColor(hex)
  const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
  return luminance > 0.55 ? '#111418' : '#ffffff'
}
