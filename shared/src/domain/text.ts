/** Text as people count it. */

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' })

/** The length of `text` as a person counts it (grapheme clusters: an emoji with its modifiers is one). */
export function characterCount(text: string): number {
  let count = 0
  for (const _ of graphemes.segment(text)) count++
  return count
}
