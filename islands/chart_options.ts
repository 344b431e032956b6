/**
 * The chart.js options of a chart (axes, ticks, tooltips) from its plain-data spec: no chart.js
 * import, so the server's tests can read them; islands/_chart.ts draws with them. The spec types
 * and the series colors live here too.
 */

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
