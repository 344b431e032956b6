/**
 * Island: company trends per day or week. Both series arrive as props, so the toggle switches
 * instantly and never fetches (the company token never reaches page JavaScript).
 */
import { useState } from "preact/hooks";
import type { Timeseries } from "../openapi/company.ts";
import { ChartFigure, type ChartFigureProps } from "./_ChartCanvas.tsx";
import type { Series } from "./_chart.ts";
import { chartAlt, dayLabel, formatMetric } from "./format.ts";

type Bucket = "day" | "week";
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

/** Props: the visible periods and the number suppressed, per bucket type, and the tasks. */
export interface CompanyTrendsProps {
  day: { buckets: Period[]; suppressed: number };
  week: { buckets: Period[]; suppressed: number };
  initial: Bucket;
  minN: number;
  tasks: TrendTask[];
}

/** A chart figure whose text alternative is computed from its data. */
const Figure = (p: Omit<ChartFigureProps, "alt">) => (
  <ChartFigure {...p} alt={chartAlt(p.title, p.spec)} />
);

/** Returns a bucket's average, or "–" where it is hidden for privacy (or has no session). */
function shown(m: TrendMetric, value: unknown): string {
  return typeof value === "number" ? formatMetric(m, value, true) : "–";
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
  const all = [...props.day.buckets, ...props.week.buckets];
  const tasks = props.tasks.filter((t) => visible(t, all));
  const labels = current.buckets.map((p) => dayLabel(p.bucket_start));
  const unit = bucket;
  const values = (field: string) =>
    current.buckets.map((p) => (typeof p[field] === "number" ? p[field] as number : null));
  return (
    <section class="card" data-bucket={bucket}>
      <div class="card-head">
        <h2>Over time</h2>
        <div class="toggle" role="group" aria-label="Period">
          {(["day", "week"] as const).map((b) => (
            <button
              type="button"
              aria-pressed={bucket === b}
              data-bucket-choice={b}
              onClick={() => setBucket(b)}
            >
              {b === "day" ? "Day" : "Week"}
            </button>
          ))}
        </div>
      </div>
      {current.suppressed > 0 && (
        <p class="note">
          {current.suppressed} {unit === "day" ? "day(s)" : "week(s)"}{" "}
          hidden for privacy: each period shown has at least {props.minN}{" "}
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
                    <Figure
                      key={m.field}
                      title={`${m.label} per ${unit}${note}`}
                      spec={{
                        kind: "line",
                        labels,
                        series: [{ name: m.label, data: values(m.field), color: m.chart.color }],
                        yMin: m.chart.min,
                        yMax: m.chart.max,
                        ...(m.chart.percent ? { percent: true } : {}),
                      }}
                    />,
                  ];
                })
              )}
              <Figure
                wide
                size="sm"
                title={`Sessions per ${unit}`}
                spec={{
                  kind: "bar",
                  labels,
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
                    <th>{unit === "day" ? "Day" : "Week"}</th>
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
                      <td class="num">{p.n_sessions}</td>
                      {tasks.flatMap((t) => [
                        ...(t.sessionsField === null ? [] : [
                          <td key={t.sessionsField} class="num">{String(p[t.sessionsField])}</td>,
                        ]),
                        ...t.metrics.map((m) => (
                          <td key={m.field} class="num">{shown(m, p[m.field])}</td>
                        )),
                      ])}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="muted small">
              Periods are UTC days, or weeks starting Monday, by when the sessions were played. A
              “–” average has fewer than {props.minN}{" "}
              distinct players of its task behind it (or none), and is hidden.
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
