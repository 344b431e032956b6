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
   * The epoch milliseconds (UTC) of each point or bar, one per label, ascending. The x axis is
   * then a time axis, and on a line chart a null value breaks the line instead of being bridged.
   */
  times?: number[];
  /**
   * Time axis: a tick at every whole multiple of this many milliseconds from the epoch (a day:
   * each UTC midnight; labels that would overlap are skipped). Keep the span a few dozen steps.
   * Unset: chart.js spaces the ticks.
   */
  step?: number;
}

/** Returns the chart.js options of a chart: its axes, ticks and tooltips. */
export function chartOptions(spec: ChartSpec) {
  const t = spec.times;
  return {
    animation: false as const,
    maintainAspectRatio: false,
    layout: { padding: { top: 6, right: 8 } },
    // Tooltips are on by default; on a time axis their title is the point's label (its date).
    plugins: t && {
      tooltip: {
        callbacks: { title: (items: { dataIndex: number }[]) => spec.labels[items[0].dataIndex] },
      },
    },
    scales: {
      y: {
        min: spec.yMin,
        max: spec.yMax,
        ticks: {
          precision: spec.integer ? 0 : undefined,
          // A number is a label as it is (chart.js prints it).
          callback: (v: number) => spec.percent ? Math.round(v * 100) + "%" : v,
        },
      },
      // A time axis is a linear scale over epoch ms (no date adapter, which would cost bytes),
      // ticks as UTC dates from toUTCString ("Wed, 04 Mar 2026 …" → "04 Mar"). A category axis
      // must not carry the key at all: `callback: undefined` replaces chart.js's default, which
      // then draws each label's index (0, 1, 2 …) instead of the label.
      x: t
        ? {
          type: "linear" as const,
          ticks: {
            maxRotation: 0,
            stepSize: spec.step,
            callback: (v: number) => new Date(v).toUTCString().slice(5, 11),
          },
        }
        : {},
    },
  };
}

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
