/**
 * chart.js, registered tree-shaken: only the line and bar controllers, their elements, the
 * category and linear scales and the tooltip are bundled. A line chart with `times` is drawn on a
 * true time axis (a linear scale over epoch milliseconds, ticks as UTC dates; no date adapter):
 * each point at its date, a long pause as a long distance, a missing value as a gap in the line.
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
import { timeScale } from "./format.ts";

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

/** Colors of the series, by role. */
export const COLORS = {
  blue: "#2563eb",
  orange: "#ea580c",
  green: "#16a34a",
  violet: "#7c3aed",
  grey: "#64748b",
} as const;

/** One line or set of bars. */
export interface Series {
  name: string;
  data: (number | null)[];
  color: keyof typeof COLORS;
}

/** A chart as plain data (island props are JSON). */
export interface ChartSpec {
  kind: "line" | "bar";
  labels: string[];
  series: Series[];
  yMin?: number;
  yMax?: number;
  /** Values are 0..1 shares shown as percentages. */
  percent?: boolean;
  /** Whole-number ticks (counts). */
  integer?: boolean;
  /**
   * Line charts: the epoch milliseconds (UTC) of each point, one per label, ascending. The x axis
   * is then a time axis and a null value breaks the line instead of being bridged.
   */
  times?: number[];
}

function options(spec: ChartSpec) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    layout: { padding: { top: 6, right: 8 } },
    plugins: { tooltip: { enabled: true } },
    scales: {
      y: {
        min: spec.yMin,
        max: spec.yMax,
        ticks: {
          precision: spec.integer ? 0 : undefined,
          callback: (v: string | number) =>
            spec.percent ? `${Math.round(Number(v) * 100)}%` : String(v),
        },
      },
      x: spec.times && spec.kind === "line"
        ? timeScale(spec.times)
        : { ticks: { maxRotation: 0, autoSkip: true } },
    },
  };
}

/** Draws a chart on a canvas and returns it (call `destroy()` before drawing again). */
export function drawChart(canvas: HTMLCanvasElement, spec: ChartSpec): Chart {
  if (spec.kind === "bar") {
    const config: ChartConfiguration<"bar", (number | null)[], string> = {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s) => ({
          label: s.name,
          data: s.data,
          backgroundColor: COLORS[s.color],
          borderRadius: 4,
        })),
      },
      options: options(spec),
    };
    return new Chart(canvas, config);
  }
  const times = spec.times;
  if (times) {
    const config: ChartConfiguration<"line", { x: number; y: number | null }[], string> = {
      type: "line",
      data: {
        datasets: spec.series.map((s) => ({
          label: s.name,
          data: s.data.map((y, i) => ({ x: times[i], y })),
          borderColor: COLORS[s.color],
          backgroundColor: COLORS[s.color],
          pointRadius: 3,
          tension: 0,
          spanGaps: false,
        })),
      },
      options: {
        ...options(spec),
        plugins: {
          tooltip: {
            enabled: true,
            callbacks: { title: (items) => spec.labels[items[0]?.dataIndex ?? 0] ?? "" },
          },
        },
      },
    };
    return new Chart(canvas, config);
  }
  const config: ChartConfiguration<"line", (number | null)[], string> = {
    type: "line",
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s) => ({
        label: s.name,
        data: s.data,
        borderColor: COLORS[s.color],
        backgroundColor: COLORS[s.color],
        pointRadius: 3,
        tension: 0,
        spanGaps: true,
      })),
    },
    options: options(spec),
  };
  return new Chart(canvas, config);
}
