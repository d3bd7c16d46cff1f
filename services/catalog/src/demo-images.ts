/**
 * An illustration for each demo product, made here at seeding (nothing downloaded): an SVG in the
 * colours of its category with the category's motif and the product's initials, rendered to WebP
 * (800 px, and a 400 px thumbnail) with sharp.
 */
import type { ProcessedImage } from './modules/images/process.ts'

const PALETTES: Record<string, [background: string, accent: string, ink: string]> = {
  Electronics: ['#1f3a5f', '#4f8fd9', '#e8f1fb'],
  'Home & Kitchen': ['#7a3e2b', '#e0895f', '#fbeee7'],
  Coffee: ['#3b2a20', '#b7794a', '#f6ebe0'],
  Outdoors: ['#234d36', '#62a874', '#eaf6ec'],
  Books: ['#4a2d5c', '#a47bc2', '#f3ecf8'],
  Toys: ['#8a5a00', '#f2b632', '#fff6de'],
}

/** Each category's motif, drawn in the accent colour on a 800 × 800 canvas. */
const MOTIFS: Record<string, string> = {
  Electronics: '<rect x="230" y="250" width="340" height="230" rx="24"/><rect x="330" y="500" width="140" height="24" rx="8"/>',
  'Home & Kitchen': '<path d="M250 330h300l-30 190a40 40 0 0 1-40 34H320a40 40 0 0 1-40-34z"/><rect x="360" y="260" width="80" height="50" rx="12"/>',
  Coffee: '<path d="M260 300h250v160a90 90 0 0 1-90 90h-70a90 90 0 0 1-90-90z"/><path d="M510 340h30a50 50 0 0 1 0 100h-30" fill="none" stroke-width="26"/>',
  Outdoors: '<path d="M160 560l170-260 90 130 60-80 160 210z"/><circle cx="560" cy="250" r="46"/>',
  Books: '<rect x="250" y="240" width="140" height="320" rx="10"/><rect x="410" y="240" width="140" height="320" rx="10"/>',
  Toys: '<rect x="240" y="380" width="150" height="150" rx="14"/><rect x="410" y="380" width="150" height="150" rx="14"/><rect x="325" y="220" width="150" height="150" rx="14"/>',
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

export function demoSvg(name: string, category: string): string {
  const [background, accent, ink] = PALETTES[category] ?? ['#333333', '#999999', '#f5f5f5']
  const initials = name.split(/\s+/).filter((w) => /^[A-Za-z]/.test(w)).slice(0, 2).map((w) => w[0]!.toUpperCase()).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800" viewBox="0 0 800 800">
  <rect width="800" height="800" fill="${background}"/>
  <circle cx="400" cy="400" r="300" fill="${ink}" opacity="0.08"/>
  <g fill="${accent}" stroke="${accent}">${MOTIFS[category] ?? ''}</g>
  <text x="400" y="700" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="84" font-weight="bold" fill="${ink}">${escape(initials)}</text>
</svg>`
}

export async function demoImage(name: string, category: string): Promise<ProcessedImage> {
  // Loaded only when seeding (see process.ts).
  const { default: sharp } = await import('sharp')
  const svg = Buffer.from(demoSvg(name, category))
  const [full, thumb] = await Promise.all([
    sharp(svg).webp({ quality: 80 }).toBuffer({ resolveWithObject: true }),
    sharp(svg).resize(400, 400).webp({ quality: 75 }).toBuffer({ resolveWithObject: true }),
  ])
  return { image: full.data, width: full.info.width, height: full.info.height, thumbnail: thumb.data, thumbnailWidth: thumb.info.width, thumbnailHeight: thumb.info.height }
}
