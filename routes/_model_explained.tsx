/**
 * What a parent can read about a prediction (private to routes/): the model's internals behind a
 * "How this prediction is made" disclosure, in plain words, with the error in the target's unit;
 * and the time axis of a chart over sessions (a date per point).
 */
import { fixed, percent, utcMinute } from "../islands/format.ts";
import type { ModelState } from "../openapi/telemetry.ts";
import { Fact, Facts } from "./_ui.tsx";

/** What a model predicts, for the words around its numbers. */
export interface Target {
  /** Lower-case name inside a sentence ("first-try accuracy"). */
  name: string;
  /** `share`: a 0–1 value shown as a percentage; `points`: a score on `range`. */
  unit: "share" | "points";
  range: readonly [number, number];
}

/** Returns an error of the target in its unit: "12 percentage points", "8.3 points (of 0–100)". */
export function errorInUnit(error: number, target: Target): string {
  if (target.unit === "share") {
    const points = Math.round(error * 100);
    return `${points} percentage point${points === 1 ? "" : "s"}`;
  }
  return `${fixed(error, 1)} points (on its ${target.range[0]}–${target.range[1]} scale)`;
}

/** Returns a value of the target in its unit: "62%" or "48.5". */
function valueInUnit(value: number, target: Target): string {
  return target.unit === "share" ? percent(value) : fixed(value, 1);
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
          within {target.unit === "share"
            ? `${percent(target.range[0])}–${percent(target.range[1])}`
            : `${target.range[0]}–${target.range[1]}`}.
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
