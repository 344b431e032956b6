/**
 * Island: company trends per day or week. Both series arrive as props, so the toggle switches
 * instantly and never fetches (the company token never reaches page JavaScript).
 */
import { useState } from "preact/hooks";
import type { Timeseries } from "../openapi/company.ts";
import { ChartFigure, type ChartFigureProps } from "./_ChartCanvas.tsx";
import { chartAlt, dayLabel, fixed, percent } from "./format.ts";

type Bucket = "day" | "week";
type Period = Timeseries["buckets"][number];

/** Props: the visible periods and the number suppressed, per bucket type. */
export interface CompanyTrendsProps {
  day: { buckets: Period[]; suppressed: number };
  week: { buckets: Period[]; suppressed: number };
  initial: Bucket;
  minN: number;
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

/** Returns a number, or "–" where it is hidden for privacy (or has no session). */
function shown(value: number | null, show: (v: number) => string): string {
  return value === null ? "–" : show(value);
}

/** Renders the toggle, the charts, the table of periods and the suppression note. */
export default function CompanyTrends(props: CompanyTrendsProps) {
  const [bucket, setBucket] = useState<Bucket>(props.initial);
  const current = props[bucket];
  // Stress appears once the company has water sessions in some period of either kind.
  const water = [...props.day.buckets, ...props.week.buckets].some((p) => p.n_water_sessions > 0);
  const labels = current.buckets.map((p) => dayLabel(p.bucket_start));
  const times = current.buckets.map((p) => Date.parse(p.bucket_start));
  const unit = bucket;
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
              <Plot
                title={`Brain performance score (first-try accuracy) per ${unit}`}
                spec={{
                  kind: "line",
                  times,
                  labels,
                  series: [{
                    name: "Score",
                    data: current.buckets.map((p) => p.avg_brain_performance_score),
                    color: "blue",
                  }],
                  yMin: 0,
                  yMax: 1,
                  percent: true,
                }}
              />
              <Plot
                title={`Repetition burden per ${unit} (1 = best, 3 = worst)`}
                spec={{
                  kind: "line",
                  times,
                  labels,
                  series: [{
                    name: "Burden",
                    data: current.buckets.map((p) => p.avg_repetition_burden),
                    color: "orange",
                  }],
                  yMin: 1,
                  yMax: 3,
                }}
              />
              {water && (
                <Plot
                  title={`Stress score per ${unit} (water sessions, 0–100)`}
                  spec={{
                    kind: "line",
                    times,
                    labels,
                    series: [{
                      name: "Stress",
                      data: current.buckets.map((p) => p.avg_stress_score),
                      color: "violet",
                    }],
                    yMin: 0,
                    yMax: 100,
                  }}
                />
              )}
              <Plot
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
                    <th class="num">Score</th>
                    <th class="num">Burden</th>
                    {water && <th class="num">Water sessions</th>}
                    {water && <th class="num">Stress</th>}
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
                      <td class="num">{shown(p.avg_brain_performance_score, percent)}</td>
                      <td class="num">{shown(p.avg_repetition_burden, (v) => fixed(v))}</td>
                      {water && <td class="num">{p.n_water_sessions}</td>}
                      {water && <td class="num">{shown(p.avg_stress_score, (v) => fixed(v, 1))}
                      </td>}
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
