/**
 * What a parent can read about a prediction (private to routes/): the model's internals behind a
 * "How this prediction is made" disclosure, in plain words, with the error in the target's unit;
 * and the time axis of a chart over sessions (a date per point).
 */
import { fixed, percent, utcMinute } from "../islands/format.ts";
import type { MetricDefinition } from "../core/tasks.ts";
import type { ModelState } from "../openapi/telemetry.ts";
import { Fact, Facts } from "./_ui.tsx";

/** What a model predicts, for the words around its numbers. */
export interface Target {
  /** Lower-case name inside a sentence ("first-try accuracy"). */
  name: string;
  /**
   * The registry's unit of the target (MetricDefinition.unit): `share` is a 0–1 value shown as a
   * percentage, `points` a score on `range`, any other unit ("ms") is written after the number.
   */
  unit: MetricDefinition["unit"];
  /** Decimals of a value in that unit (the metric's; default 1). */
  decimals?: number;
  range: readonly [number, number];
}

/** Returns a number of the target's unit at its decimals ("850" for ms, "8.3" for points). */
const inDecimals = (value: number, target: Target) => fixed(value, target.decimals ?? 1);

/**
 * Returns an error of the target in its unit: "12 percentage points", "8.3 points (on its 0–100
 * scale)", "40 ms".
 */
export function errorInUnit(error: number, target: Target): string {
  if (target.unit === "share") {
    const points = Math.round(error * 100);
    return `${points} percentage point${points === 1 ? "" : "s"}`;
  }
  if (target.unit === "points") {
    return `${inDecimals(error, target)} points (on its ${target.range[0]}–${
      target.range[1]
    } scale)`;
  }
  return `${inDecimals(error, target)} ${target.unit}`;
}

/** Returns a value of the target in its unit: "62%", "48.5" (points) or "-100 ms". */
function valueInUnit(value: number, target: Target): string {
  if (target.unit === "share") return percent(value);
  if (target.unit === "points") return inDecimals(value, target);
  return `${inDecimals(value, target)} ${target.unit}`;
}

/** Returns the target's range in its unit: "0%–100%", "0–100", "0–86400000 ms". */
function rangeInUnit(target: Target): string {
  const [lo, hi] = target.range;
  if (target.unit === "share") return `${percent(lo)}–${percent(hi)}`;
  return target.unit === "points" ? `${lo}–${hi}` : `${lo}–${hi} ${target.unit}`;
}

/**
 * Returns the disclosure under a prediction: how the model learns, how far off it was on
 * average (MAE in the target's unit, with a sentence), and its weights in words.
 */
export function ModelExplained(
  { model, target, features }: { model: ModelState; target: Target; features: string[] },
) {
  const trained = model.status === "trained";
  return (
    <details class="explain">
      <summary>How this prediction is made</summary>
      <p>
        After every finished session, a small model learns from this player's own sessions of this
        task how each session's {features.join(" and ")}{" "}
        {features.length === 1 ? "relates" : "relate"} to the next session's{" "}
        {target.name}. It needs at least 3 sessions; it has learned from {model.n_samples}{" "}
        (last updated {utcMinute(model.trained_ts_utc)}). It knows nothing about other players.
      </p>
      {trained && model.mae !== null && (
        <p>
          <strong>Typical error: {errorInUnit(model.mae, target)}.</strong>{" "}
          On the sessions it learned from, its guesses of the next {target.name}{" "}
          were off by that much on average (the mean absolute error, MAE), so read a prediction as
          roughly that much higher or lower.
        </p>
      )}
      {trained && model.coefficients && model.intercept !== null && (
        <Facts>
          <Fact label="Starting point">{valueInUnit(model.intercept, target)}</Fact>
          {features.map((f, i) => {
            const w = model.coefficients![i];
            return (
              <Fact label={`Weight of the last ${f}`}>
                {fixed(w, 3)}{" "}
                ({w > 0
                  ? "a higher value raises"
                  : w < 0
                  ? "a higher value lowers"
                  : "no effect on"} the prediction)
              </Fact>
            );
          })}
        </Facts>
      )}
      {trained && (
        <p class="muted small">
          The prediction is the starting point plus each weight times the last session's value, kept
          within {rangeInUnit(target)}.
        </p>
      )}
    </details>
  );
}

/** Returns a chart's x axis over sessions: each session's play date as label and epoch ms. */
export function sessionAxis(
  sessions: readonly { played_at: string }[],
): { labels: string[]; times: number[] } {
  return {
    labels: sessions.map((s) => utcMinute(s.played_at).slice(0, 10)),
    times: sessions.map((s) => Date.parse(s.played_at)),
  };
}
