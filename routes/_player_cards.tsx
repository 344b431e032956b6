/**
 * The player page's per-task section (averages, charts, model card, prediction) and the session
 * table, all derived from the task registry (private to routes/).
 */
import type { MetricDefinition, TaskDefinition, TaskRegistry } from "../core/tasks.ts";
import { formatMetric, utcMinute, withUnit } from "../islands/format.ts";
import type { SessionSummary } from "../openapi/telemetry.ts";
import type { TaskDashboard } from "../services/dashboards.ts";
import { Card, ChartIsland, Fact, Facts, Metric, Metrics } from "./_ui.tsx";
import { ModelExplained, sessionAxis } from "./_model_explained.tsx";

/** Returns "session" for the default task, else "<task> session" ("water session"). */
export function sessionWord(registry: TaskRegistry, task: TaskDefinition): string {
  return task === registry.defaultTask ? "session" : `${task.name} session`;
}

/** Returns a metric's definition by key within its task. */
function metricOf(task: TaskDefinition, key: string): MetricDefinition {
  return task.metrics.find((m) => m.key === key)!;
}

/** Returns a metric's hint: its scale end that is best, or its top. */
function hintOf(m: MetricDefinition): string | undefined {
  if (m.unit === "share" || m.kind === "boolean") return undefined;
  return m.higherIsBetter === false ? `${m.range[0]} = best` : `of ${m.range[1]}`;
}

/** Returns the averages of a task's sessions and its latest model target. */
function TaskMetrics({ data }: { data: TaskDashboard }) {
  const { task, averages, sessions } = data;
  const target = metricOf(task, task.model.target);
  const latest = sessions[sessions.length - 1][target.key] as number;
  return (
    <Metrics>
      <Metric label={`${task.label}: sessions`} value={String(sessions.length)} />
      {task.metrics.map((m) => (
        <Metric
          label={m.aggregation === "share" ? `${m.label} (share of sessions)` : `Avg ${lower(m)}`}
          value={withUnit(m, formatMetric(m, averages[m.key], true))}
          hint={hintOf(m)}
        />
      ))}
      <Metric
        label={`Latest ${lower(target)}`}
        value={withUnit(target, formatMetric(target, latest))}
      />
    </Metrics>
  );
}

/** Returns a metric's label as it reads inside a sentence ("first-try accuracy"). */
export function lower(m: MetricDefinition): string {
  return m.label.charAt(0).toLowerCase() + m.label.slice(1);
}

/** Returns the task's charts: a value per session, or sessions per level. */
function TaskCharts(
  { registry, data }: { registry: TaskRegistry; data: TaskDashboard },
) {
  const { task, sessions, levelCounts } = data;
  const { labels, times } = sessionAxis(sessions);
  const lines = sessions.length >= 2; // one session is a number, not a chart of one dot
  return (
    <Card title={`${task.label}: trends`}>
      {!lines && (
        <p class="muted">
          One {sessionWord(registry, task)} so far: its trend charts appear from the second.
        </p>
      )}
      <div class="charts">
        {task.charts.map((c) => {
          const m = metricOf(task, c.metric);
          if (c.chart !== "bar" && !lines) return null;
          const note = c.note === undefined ? "" : ` (${c.note})`;
          if (c.chart === "bar") {
            return (
              <ChartIsland
                props={{
                  title: `${m.label} outcomes`,
                  size: "sm",
                  spec: {
                    kind: "bar",
                    labels: (m.levelLabels ?? m.levels ?? []).map(String),
                    series: [{ name: "Sessions", data: levelCounts[m.key], color: c.color }],
                    yMin: 0,
                    integer: true,
                  },
                }}
              />
            );
          }
          return (
            <ChartIsland
              props={{
                title: `${m.label} per ${sessionWord(registry, task)}${note}`,
                spec: {
                  kind: "line",
                  labels,
                  times,
                  series: [{
                    name: m.label,
                    data: sessions.map((s) => s[m.key] as number),
                    color: c.color,
                  }],
                  yMin: c.axis.min,
                  yMax: c.axis.max,
                  ...(c.axis.percent ? { percent: true } : {}),
                },
              }}
            />
          );
        })}
      </div>
    </Card>
  );
}

/** Returns the model's prediction for the task's next session, or why there is none. */
function Prediction(
  { registry, data }: { registry: TaskRegistry; data: TaskDashboard },
) {
  const { task, model, sessions } = data;
  const last = sessions[sessions.length - 1];
  const target = metricOf(task, task.model.target);
  const next = `next ${sessionWord(registry, task)}`;
  let body;
  if (model === null) {
    body = <p class="muted">No prediction: this player has no model of this task yet.</p>;
  } else if (model.status !== "trained" || model.predicted_next === null) {
    body = (
      <p class="muted">
        No prediction yet: the model needs at least 3 finalized sessions to learn from (this player
        has {model.n_samples}).
      </p>
    );
  } else {
    const [lo, hi] = task.model.range;
    body = (
      <>
        <div class="big">{formatMetric(target, model.predicted_next, true)}</div>
        <p class="muted">
          predicted {lower(target)} of the {next}
          {target.unit === "share"
            ? ""
            : ` (${lo}–${hi}${target.unit === "points" ? "" : ` ${target.unit}`})`}
        </p>
        <Facts>
          {task.model.features.map((f) => {
            const m = metricOf(task, f);
            return (
              <Fact label={`Last actual ${lower(m)}`}>{formatMetric(m, last[f] as number)}</Fact>
            );
          })}
        </Facts>
      </>
    );
  }
  return (
    <Card title={`Next ${sessionWord(registry, task)}`}>
      {body}
      {model && (
        <ModelExplained
          model={model}
          target={{
            name: lower(target),
            unit: target.unit,
            ...(target.decimals === undefined ? {} : { decimals: target.decimals }),
            range: task.model.range,
          }}
          features={task.model.features.map((f) => lower(metricOf(task, f)))}
        />
      )}
    </Card>
  );
}

/** Returns one task's section of the player page. */
export function TaskSection({ registry, data }: { registry: TaskRegistry; data: TaskDashboard }) {
  const { task } = data;
  return (
    <section class="task" data-task={task.name}>
      <h2 class="task-title">{task.label}</h2>
      <TaskMetrics data={data} />
      <TaskCharts registry={registry} data={data} />
      <div class="grid">
        <Prediction registry={registry} data={data} />
      </div>
    </section>
  );
}

/** Returns the table of the player's sessions: a column per metric of the tasks played. */
export function SessionsTable(
  { sessions, metrics }: { sessions: SessionSummary[]; metrics: readonly MetricDefinition[] },
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
              {metrics.map((m) => (
                <th class={m.kind === "boolean" ? undefined : "num"}>{m.label}</th>
              ))}
              <th class="num">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s, i) => (
              <tr>
                <td data-label="#">{i + 1}</td>
                <td data-label="Played">{utcMinute(s.played_at)}</td>
                <td data-label="Session">{s.session_id}</td>
                {metrics.map((m) => {
                  const v = s[m.key] as number | boolean | null;
                  return (
                    <td data-label={m.label} class={m.kind === "boolean" ? undefined : "num"}>
                      {v === null ? "–" : formatMetric(m, v)}
                    </td>
                  );
                })}
                <td data-label="Attempts" class="num">{s.n_attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
