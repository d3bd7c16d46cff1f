/**
 * A chart of one daily series (chartist, about 8.5 KB gzip, in the console's chunk only). The
 * picture is for eyes (aria-hidden); the same figures are a table for screen readers.
 */
import { BarChart, LineChart } from 'chartist'
import 'chartist/dist/index.css'
import { useEffect, useRef } from 'preact/hooks'

export interface Point {
  /** `YYYY-MM-DD` */
  day: string
  value: number
}

const shortDay = (day: string) => `${Number(day.slice(8, 10))}/${Number(day.slice(5, 7))}`

export function DailyChart({ kind, title, points, format }: { kind: 'bar' | 'line'; title: string; points: Point[]; format: (value: number) => string }) {
  const ref = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!ref.current) return
    const data = { labels: points.map((p) => shortDay(p.day)), series: [points.map((p) => p.value)] }
    // A label every few days, counted back from today (the last), so thirty fit on the axis.
    const every = Math.ceil(points.length / 8)
    const axisX = { showGrid: false, labelInterpolationFnc: (label: unknown, i: number) => ((points.length - 1 - i) % every === 0 ? String(label) : null) }
    const axisY = { onlyInteger: true, offset: 64, labelInterpolationFnc: (value: unknown) => format(Number(value)) }
    const chart =
      kind === 'bar'
        ? new BarChart(ref.current, data, { axisX, axisY, height: '14rem', chartPadding: { top: 12, right: 8, bottom: 0, left: 0 } })
        : new LineChart(ref.current, data, { axisX, axisY, height: '14rem', low: 0, showArea: true, showPoint: points.length <= 14, fullWidth: true, chartPadding: { top: 12, right: 16, bottom: 0, left: 0 } })
    return () => chart.detach()
  }, [kind, points, format])
  return (
    <figure class="chart card">
      <figcaption>{title}</figcaption>
      <div ref={ref} class="chart-area" aria-hidden="true" />
      <table class="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.day}>
              <th scope="row">{p.day}</th>
              <td>{format(p.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  )
}
