/**
 * chart.js, registered tree-shaken: only the line and bar controllers, their elements, the
 * category and linear scales and the tooltip are bundled. A chart with `times` is drawn on a true
 * time axis (a linear scale over epoch milliseconds, ticks as UTC dates; no date adapter): each
 * point or bar at its date, a long pause as a long distance, a missing value as a gap in a line.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { chartOptions, type ChartSpec, COLORS } from "./chart_options.ts";

export type { ChartSpec, Series } from "./chart_options.ts";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

/** Draws a chart on a canvas and returns it (call `destroy()` before drawing again). */
export function drawChart(canvas: HTMLCanvasElement, spec: ChartSpec): Chart {
  const t = spec.times;
  const config = {
    type: spec.kind,
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s) => ({
        label: s.name,
        data: t ? s.data.map((y, i) => ({ x: t[i], y })) : s.data,
        borderColor: COLORS[s.color],
        backgroundColor: COLORS[s.color],
        borderRadius: 4,
        pointRadius: 3,
        spanGaps: !t,
      })),
    },
    options: chartOptions(spec),
  };
  return new Chart(canvas, config as ChartConfiguration);
}
