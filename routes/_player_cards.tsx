/** The player page's session table, model cards and predictions (private to routes/). */
import { fixed, percent, utcMinute } from "../islands/format.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import type { EarthSession, WaterSession } from "../services/dashboards.ts";
import { ModelExplained, type Target } from "./_model_explained.tsx";
import { Card, Fact, Facts } from "./_ui.tsx";

const EARTH_TARGET: Target = { name: "first-try accuracy", unit: "share", range: [0, 1] };
const WATER_TARGET: Target = { name: "stress score", unit: "points", range: [0, 100] };

/** Returns a cell value, or "–" for a metric the session's task does not have. */
function cell<T>(value: T | null, show: (v: T) => string | number): string | number {
  return value === null ? "–" : show(value);
}

/** Returns the table of the player's sessions (a stress column when any is a water session). */
export function SessionsTable(
  { sessions, stress }: { sessions: SessionSummary[]; stress: boolean },
) {
  return (
    <Card title="Sessions" wide>
      <div class="table-wrap cards-on-phone" tabIndex={0} role="region" aria-label="Sessions table">
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Played</th>
              <th>Session</th>
              <th class="num">FTA</th>
              <th>Strict</th>
              <th class="num">Burden</th>
              <th class="num">Earth score</th>
              {stress && <th class="num">Stress</th>}
              <th class="num">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s, i) => (
              <tr>
                <td data-label="#">{i + 1}</td>
                <td data-label="Played">{utcMinute(s.played_at)}</td>
                <td data-label="Session">{s.session_id}</td>
                <td data-label="FTA" class="num">{cell(s.fta_level, percent)}</td>
                <td data-label="Strict">{cell(s.fta_strict, (v) => (v ? "yes" : "no"))}</td>
                <td data-label="Burden" class="num">
                  {cell(s.repetition_burden, (v) => fixed(v))}
                </td>
                <td data-label="Earth score" class="num">
                  {cell(s.earth_score_bucket, (v) => `${v} of 10`)}
                </td>
                {stress && (
                  <td data-label="Stress" class="num">
                    {cell(s.stress_score, (v) => fixed(v, 1))}
                  </td>
                )}
                <td data-label="Attempts" class="num">{s.n_attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function Untrained({ model }: { model: ModelState }) {
  return (
    <p class="muted">
      No prediction yet: the model needs at least 3 finalized sessions to learn from (this player
      has {model.n_samples}).
    </p>
  );
}

/** Returns the earth model's prediction for the next session, or why there is none. */
export function Prediction(
  { model, last }: { model: ModelState | null; last: EarthSession | null },
) {
  let body;
  if (model === null || last === null) {
    body = <p class="muted">No prediction: this player has no finalized sessions yet.</p>;
  } else if (model.status !== "trained" || model.predicted_next === null) {
    body = <Untrained model={model} />;
  } else {
    body = (
      <>
        <div class="big">{percent(model.predicted_next)}</div>
        <p class="muted">predicted first-try accuracy of the next session</p>
        <Facts>
          <Fact label="Last actual FTA">{percent(last.fta_level)}</Fact>
          <Fact label="Last actual burden">{fixed(last.repetition_burden)} attempts</Fact>
        </Facts>
      </>
    );
  }
  return (
    <Card title="Next session">
      {body}
      {model && (
        <ModelExplained
          model={model}
          target={EARTH_TARGET}
          features={["first-try accuracy", "repetition burden"]}
        />
      )}
    </Card>
  );
}

/** Returns the water model's predicted stress for the next water session, or why there is none. */
export function StressPrediction(
  { model, last }: { model: ModelState | null; last: WaterSession },
) {
  let body;
  if (model === null) {
    body = <p class="muted">No water model yet.</p>;
  } else if (model.status !== "trained" || model.predicted_next === null) {
    body = <Untrained model={model} />;
  } else {
    body = (
      <>
        <div class="big">{fixed(model.predicted_next, 1)}</div>
        <p class="muted">predicted stress score of the next water session (0–100)</p>
        <Facts>
          <Fact label="Last actual stress">{fixed(last.stress_score, 1)} of 100</Fact>
        </Facts>
      </>
    );
  }
  return (
    <Card title="Next water session">
      {body}
      {model && <ModelExplained model={model} target={WATER_TARGET} features={["stress score"]} />}
    </Card>
  );
}
