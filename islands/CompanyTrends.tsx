/**
 * Island: company trends per day or week. Both series arrive as props, so the toggle switches
 * instantly and never fetches (the company token never reaches page JavaScript).
 */
import { useState } from "preact/hooks";
import type { Timeseries } from "../openapi/company.ts";
import { ChartFigure, type ChartFigureProps } from "./_ChartCanvas.tsx";
import { chartAlt, countPm, dayLabel, fixedPm, percentPm, utcMinute } from "./format.ts";

type Bucket = "day" | "week";
type Period = Timeseries["buckets"][number];

/** One bucket type's released periods, how many were left out, and when the next is released. */
interface Series {
  buckets: Period[];
  suppressed: number;
  /** Protected mode: when the open period is released (ISO); null in exact mode. */
  nextRelease: string | null;
}

/** Props: the visible periods and the number suppressed, per bucket type. */
export interface CompanyTrendsProps {
  day: Series;
  week: Series;
  initial: Bucket;
  minN: number;
}

/** A chart figure whose text alternative is computed from its data. */
const Figure = (p: Omit<ChartFigureProps, "alt">) => (
  <ChartFigure {...p} alt={chartAlt(p.title, p.spec)} />
);

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
      {current.nextRelease !== null && (
        <p class="note">
          The current {unit} is not shown yet: its numbers are released when it closes, on{" "}
          {utcMinute(current.nextRelease)}. Each released number carries its 90 % range (±).
        </p>
      )}
      {current.suppressed > 0 && current.nextRelease !== null && (
        <p class="note">
          {current.suppressed} {unit === "day" ? "day(s)" : "week(s)"}{" "}
          hidden: too few players (fewer than {props.minN}{" "}
          by the released count, or a range so wide the number would say nothing).
        </p>
      )}
      {current.suppressed > 0 && current.nextRelease === null && (
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
              <Figure
                title={`Brain performance score (first-try accuracy) per ${unit}`}
                spec={{
                  kind: "line",
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
              <Figure
                title={`Repetition burden per ${unit} (1 = best, 3 = worst)`}
                spec={{
                  kind: "line",
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
                <Figure
                  title={`Stress score per ${unit} (water sessions, 0–100)`}
                  spec={{
                    kind: "line",
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
                      <td class="num">{countPm(p.n_sessions, p.n_sessions_interval)}</td>
                      <td class="num">
                        {shown(
                          p.avg_brain_performance_score,
                          (v) => percentPm(v, p.avg_brain_performance_score_interval),
                        )}
                      </td>
                      <td class="num">
                        {shown(
                          p.avg_repetition_burden,
                          (v) => fixedPm(v, p.avg_repetition_burden_interval),
                        )}
                      </td>
                      {water && (
                        <td class="num">
                          {countPm(p.n_water_sessions, p.n_water_sessions_interval)}
                        </td>
                      )}
                      {water && (
                        <td class="num">
                          {shown(p.avg_stress_score, (v) =>
                            fixedPm(v, p.avg_stress_score_interval, 1))}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="muted small">
              Periods are UTC days, or weeks starting Monday, by when the sessions were played. A
              “–” average has fewer than {props.minN}{" "}
              distinct players of its task behind it (or none), and is hidden.
              {current.nextRelease !== null &&
                " Numbers are released once per closed period with calibrated noise, so that no " +
                  "number reveals one person; ± is the 90 % range of the released value."}
            </p>
          </>
        )}
    </section>
  );
}
