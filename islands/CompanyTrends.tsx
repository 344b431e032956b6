/**
 * Island: company trends per day, week or month. Every series arrives as props, so the toggle
 * switches instantly and never fetches (the company token never reaches page JavaScript).
 */
import { useState } from "preact/hooks";
import type { Timeseries } from "../openapi/company.ts";
import { ChartFigure, type ChartFigureProps } from "./_ChartCanvas.tsx";
import type { Series } from "./_chart.ts";
import {
  chartAlt,
  countPm,
  dayLabel,
  formatMetricPm,
  type Interval,
  monthLabel,
  utcMinute,
} from "./format.ts";

type Bucket = "day" | "week" | "month";

/** The toggle's words and the table's first heading per bucket type. */
const NAMES: Record<Bucket, string> = { day: "Day", week: "Week", month: "Month" };
type Period = Timeseries["buckets"][number];

/** A company metric of a bucket, as the island shows it (from the task registry). */
export interface TrendMetric {
  /** Its field in a timeseries bucket. */
  field: string;
  label: string;
  unit: string;
  kind: "number" | "boolean";
  levels?: readonly number[];
  decimals?: number;
  /** Its chart, when the task charts it for companies. */
  chart:
    | { color: Series["color"]; min: number; max: number; percent: boolean; note?: string }
    | null;
}

/** A task's columns and charts (from the task registry). */
export interface TrendTask {
  name: string;
  /** The default task's columns show always; another's once it has sessions. */
  isDefault: boolean;
  /** The bucket field counting its sessions, if any. */
  sessionsField: string | null;
  metrics: TrendMetric[];
}

/** One bucket type's periods, how many were left out, when the next is released. */
interface SeriesOf {
  buckets: Period[];
  suppressed: number;
  /** Protected mode: when the open period is released (ISO); null in exact mode. */
  nextRelease: string | null;
}

/** Props: the visible periods and the number suppressed, per bucket type, and the tasks. */
export interface CompanyTrendsProps {
  day: SeriesOf;
  week: SeriesOf;
  month: SeriesOf;
  initial: Bucket;
  minN: number;
  tasks: TrendTask[];
}

/** A chart figure whose text alternative is computed from its data. */
const Figure = (p: Omit<ChartFigureProps, "alt">) => (
  <ChartFigure {...p} alt={chartAlt(p.title, p.spec)} />
);

/**
 * A chart (lines on a true time axis), or, with fewer than two values to show, a sentence
 * instead of a chart of one dot or one bar.
 */
const Plot = (p: Omit<ChartFigureProps, "alt">) => {
  const values = p.spec.series[0].data.filter((v) => v !== null);
  return values.length < 2
    ? (
      <p class="chart-words">
        {p.title}: {values.length === 0 ? "no period" : "only one period"}{" "}
        can be shown yet, too few for a chart.
      </p>
    )
    : <Figure {...p} />;
};

/** Returns a bucket's average (± its 90 % range when released), or "–" where it is hidden. */
function shown(m: TrendMetric, p: Period): string {
  const value = p[m.field];
  const interval = (p[`${m.field}_interval`] ?? null) as Interval;
  return typeof value === "number" ? formatMetricPm(m, value, interval) : "–";
}

/** Returns a bucket's count with its 90 % range when released. */
function counted(p: Period, field: string): string {
  return countPm(p[field] as number, (p[`${field}_interval`] ?? null) as Interval);
}

/** Returns whether a task's columns show: the default task's always, another's with sessions. */
function visible(task: TrendTask, periods: readonly Period[]): boolean {
  return task.isDefault ||
    periods.some((p) =>
      task.sessionsField === null
        ? task.metrics.some((m) => typeof p[m.field] === "number")
        : (p[task.sessionsField] as number) > 0
    );
}

/** Renders the toggle, the charts, the table of periods and the suppression note. */
export default function CompanyTrends(props: CompanyTrendsProps) {
  const [bucket, setBucket] = useState<Bucket>(props.initial);
  const current = props[bucket];
  // A task's columns appear once the company has its sessions in some period of either kind.
  const all = [...props.day.buckets, ...props.week.buckets, ...props.month.buckets];
  const tasks = props.tasks.filter((t) => visible(t, all));
  const label = bucket === "month" ? monthLabel : dayLabel;
  const labels = current.buckets.map((p) => label(p.bucket_start));
  const times = current.buckets.map((p) => Date.parse(p.bucket_start));
  const unit = bucket;
  const values = (field: string) =>
    current.buckets.map((p) => (typeof p[field] === "number" ? p[field] as number : null));
  return (
    <section class="card" data-bucket={bucket}>
      <div class="card-head">
        <h2>Over time</h2>
        <div class="toggle" role="group" aria-label="Period">
          {(["day", "week", "month"] as const).map((b) => (
            <button
              type="button"
              aria-pressed={bucket === b}
              data-bucket-choice={b}
              onClick={() => setBucket(b)}
            >
              {NAMES[b]}
            </button>
          ))}
        </div>
      </div>
      {current.nextRelease !== null && (
        <p class="note">
          The current {unit} is not shown yet: its numbers are released when it closes, on{" "}
          {utcMinute(current.nextRelease)}. Each released number carries its 90 % range (±).
        </p>
      )}
      {bucket === "month" && current.nextRelease !== null && (
        <p class="note">
          A month adds up its released days (no new release): its counts are player-days, so a
          player of three days in it counts three times.
        </p>
      )}
      {current.suppressed > 0 && current.nextRelease !== null && (
        <p class="note">
          {current.suppressed} {unit}(s) hidden: too few players (fewer than {props.minN}{" "}
          by the released count, or a range so wide the number would say nothing).
        </p>
      )}
      {current.suppressed > 0 && current.nextRelease === null && (
        <p class="note">
          {current.suppressed} {unit}(s) hidden for privacy: each period shown has at least{" "}
          {props.minN}{" "}
          distinct players, and small periods are left out (with the smallest others, so they cannot
          be worked out from the totals).
        </p>
      )}
      {current.buckets.length === 0
        ? <p class="empty">No {unit} has enough players to be shown yet.</p>
        : (
          <>
            <div class="charts">
              {tasks.flatMap((t) =>
                t.metrics.flatMap((m) => {
                  if (m.chart === null) return [];
                  const note = t.isDefault
                    ? m.chart.note === undefined ? "" : ` (${m.chart.note})`
                    : ` (${t.name} sessions, ${m.chart.min}–${m.chart.max})`;
                  return [
                    <Plot
                      key={m.field}
                      title={`${m.label} per ${unit}${note}`}
                      spec={{
                        kind: "line",
                        labels,
                        times,
                        series: [{ name: m.label, data: values(m.field), color: m.chart.color }],
                        yMin: m.chart.min,
                        yMax: m.chart.max,
                        ...(m.chart.percent ? { percent: true } : {}),
                      }}
                    />,
                  ];
                })
              )}
              <Plot
                wide
                size="sm"
                title={`Sessions per ${unit}`}
                spec={{
                  kind: "bar",
                  labels,
                  times,
                  series: [{
                    name: "Sessions",
                    data: current.buckets.map((p) => p.n_sessions),
                    color: "green",
                  }],
                  yMin: 0,
                  integer: true,
                }}
              />
            </div>
            <div class="table-wrap" tabIndex={0} role="region" aria-label={`${unit}s`}>
              <table>
                <thead>
                  <tr>
                    <th>{NAMES[bucket]}</th>
                    <th class="num">Sessions</th>
                    {tasks.flatMap((t) => [
                      ...(t.sessionsField === null ? [] : [
                        <th key={t.sessionsField} class="num">{`${capital(t.name)} sessions`}</th>,
                      ]),
                      ...t.metrics.map((m) => <th key={m.field} class="num">{m.label}</th>),
                    ])}
                  </tr>
                </thead>
                <tbody>
                  {current.buckets.map((p) => (
                    <tr>
                      <td>
                        {p.bucket_start}
                        {p.bucket_end !== p.bucket_start ? ` – ${p.bucket_end}` : ""}
                      </td>
                      <td class="num">{counted(p, "n_sessions")}</td>
                      {tasks.flatMap((t) => [
                        ...(t.sessionsField === null ? [] : [
                          <td key={t.sessionsField} class="num">
                            {counted(p, t.sessionsField)}
                          </td>,
                        ]),
                        ...t.metrics.map((m) => <td key={m.field} class="num">{shown(m, p)}</td>),
                      ])}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="muted small">
              Periods are UTC days, weeks starting Monday, or calendar months, by when the sessions
              were played. A “–” average has fewer than {props.minN}{" "}
              {bucket === "month" && current.nextRelease !== null
                ? "player-days (released, summed over the month's days)"
                : "distinct players"} of its task behind it (or none), and is hidden.
              {current.nextRelease !== null &&
                " Numbers are released once per closed period with calibrated noise, so that no " +
                  "number reveals one person; ± is the 90 % range of the released value."}
            </p>
          </>
        )}
    </section>
  );
}

/** Returns a word with its first letter in capitals ("Water"). */
function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
