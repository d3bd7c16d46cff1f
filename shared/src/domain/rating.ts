/** A product's ratings (integers 1-5): what reviews computes and the catalog shows. */

export const MIN_RATING = 1
export const MAX_RATING = 5

/**
 * The average of `count` ratings summing to `sum`, to one decimal (halves up, as Postgres's
 * `round(numeric, 1)` for these positive values); null when there are none. Exact: `sum * 10`
 * and `count` are small integers, so their quotient is correctly rounded and a half is exact.
 */
export function ratingAverage(sum: number, count: number): number | null {
  return count === 0 ? null : Math.round((sum * 10) / count) / 10
}
